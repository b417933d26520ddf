"""The demo `make run` seeds, across the feature apps (the project is where they meet):
builder's admin, workspace and demo chat app, rag's handbook knowledge base, and the
"Chat with your documents" app over it. `manage.py seed_demo` runs `do_seed_demo`
(settings.WEFT_DEMO_SEEDER)."""

from __future__ import annotations

from builder.demo import DEMO_WORKSPACE, do_seed_documents_app
from builder.demo import do_seed_demo as do_seed_builder_demo
from kernel.models import User, Workspace
from rag.demo import do_seed_demo_knowledge_base


def do_seed_demo() -> tuple[User, str | None]:
    """Seed everything (idempotent); the admin and the password to show, as builder's."""
    user, password = do_seed_builder_demo()
    workspace = Workspace.objects.get(slug=DEMO_WORKSPACE)
    kb = do_seed_demo_knowledge_base(workspace, user)
    do_seed_documents_app(workspace, user, [str(kb.pk)])
    return user, password
