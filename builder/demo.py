"""The demo workspace and chat app that `make run` sets up (idempotent)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction

from builder.actions.workflows import do_create_app, do_publish_workflow
from builder.models import App, Workflow
from builder.templates import CHAT_WITH_DOCUMENTS, TEMPLATES, fill_knowledge_bases
from kernel.models import Membership, Role, User, Workspace
from kernel.workspaces import do_set_default_workspace

DEMO_WORKSPACE = "demo"
DEMO_APP = "demo-chat"


def do_seed_demo() -> tuple[User, str | None]:
    """Create the admin, the demo workspace and the published demo app if they are missing.

    Returns the admin and the generated password while it is still the admin's password (it is
    kept in var/admin_password, readable by the owner only, so every `make run` can print it).
    """
    email = os.environ.get("WEFT_ADMIN_EMAIL", "admin@weft.local")
    password = os.environ.get("WEFT_ADMIN_PASSWORD", "")
    saved = Path(settings.DATA_DIR) / "admin_password"
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            generated = "" if password else secrets.token_urlsafe(12)
            if generated:
                saved.write_text(generated)
                saved.chmod(0o600)
            user = User.objects.create_superuser(email=email, password=password or generated)
        elif password and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        shown = None
        if not password and saved.exists() and user.check_password(saved.read_text().strip()):
            shown = saved.read_text().strip()
        workspace, _ = Workspace.objects.get_or_create(
            slug=DEMO_WORKSPACE, defaults={"name": "Demo workspace"}
        )
        Membership.objects.get_or_create(
            user=user, workspace=workspace, defaults={"role": Role.OWNER}
        )
        do_set_default_workspace(user, workspace.pk, only_if_unset=True)
    app = App.objects.filter(slug=DEMO_APP).first()
    if app is None:
        app = do_create_app(
            workspace,
            user,
            "Demo chat",
            "chat",
            slug=DEMO_APP,
            description="Start → LLM → Answer on the embedded model.",
        )
        do_publish_workflow(app, user, note="demo")
    else:
        do_remember_in_demo(app, user)
    return user, shown


def do_remember_in_demo(app: App, user: User) -> bool:
    """Turn chat memory on in a demo app seeded before chat apps remembered by default, if nobody
    has touched it (its draft is still its one published "demo" version): "Conversations with
    memory" must hold for it too. Publishes the change as the next version; True if it did."""
    with transaction.atomic():
        draft = Workflow.objects.select_for_update().get(app=app)
        versions = list(app.versions.all()[:2])
        if len(versions) != 1 or versions[0].note != "demo" or versions[0].spec != draft.spec:
            return False
        llms = [n for n in draft.spec.get("nodes", []) if n.get("type") == "llm"]
        if not llms or any(n.get("config", {}).get("memory", {}).get("enabled") for n in llms):
            return False
        for n in llms:
            config = n.setdefault("config", {})
            config["memory"] = {**config.get("memory", {}), "enabled": True}
        draft.revision += 1
        draft.save(update_fields=["spec", "revision"])
        do_publish_workflow(app, user, note="demo: chat memory on")
    return True


DOCS_APP = "docs-chat"


def do_seed_documents_app(workspace: Workspace, user: User, dataset_ids: list[str]) -> App:
    """The published "Chat with your documents" app over `dataset_ids`, made once."""
    app = App.objects.filter(slug=DOCS_APP).first()
    if app is not None:
        return app
    template = TEMPLATES[CHAT_WITH_DOCUMENTS]
    spec = fill_knowledge_bases(template.build(), dataset_ids)
    app = do_create_app(
        workspace,
        user,
        template.name,
        template.mode,
        slug=DOCS_APP,
        description=f"{template.description} Seeded over the Weft handbook.",
        spec=spec,
    )
    do_publish_workflow(app, user, note="demo")
    return app
