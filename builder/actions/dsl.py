"""Apps from Dify DSL files: a new app from a file, or an app's draft replaced by one."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from builder.actions.workflows import do_create_app, do_save_draft
from builder.dsl import Note, import_dsl
from builder.models import App, Workflow
from kernel.audit import do_audit
from kernel.models import User, Workspace
from kernel.resources import offered


def _free_slug(name: str) -> str:
    """The app's slug from its name, with -2, -3, ... when it is taken (an imported app is
    often one already here)."""
    base = slugify(name)[:56] or "app"
    slug, n = base, 1
    while App.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def do_import_app(
    workspace: Workspace,
    user: User | None,
    text: bytes | str,
    confirmed: bool = False,
    name: str = "",
) -> tuple[App, list[Note]]:
    """A new app in `workspace` from a DSL file (its name unless `name` is given); returns it
    and the import's warnings. Refusals are ApiErrors (builder/dsl/importer.py)."""
    imported = import_dsl(text, confirmed, offered(workspace.pk))
    title = name.strip() or imported.name
    spec = imported.spec.model_dump(mode="json", by_alias=True)
    with transaction.atomic():
        app = do_create_app(
            workspace,
            user,
            title,
            imported.spec.mode,
            slug=_free_slug(title),
            description=imported.description,
            spec=spec,
        )
        do_audit(workspace_id=workspace.pk, actor=user, action="app.import_dsl", target=app.slug)
    return app, imported.notes


def do_update_from_dsl(
    app: App,
    user: User | None,
    text: bytes | str,
    confirmed: bool = False,
    revision: int | None = None,
) -> tuple[int, list[Note]]:
    """Replace the app's draft with a DSL file's graph and variables (its name and
    description stay); returns the new revision and the warnings. `revision`, when given,
    must be current (409 when stale, as a save). A secret the file leaves empty (Dify exports
    them so) keeps the value the draft has."""
    imported = import_dsl(text, confirmed, offered(app.workspace_id))
    spec = imported.spec.model_dump(mode="json", by_alias=True)
    for var in spec["env"]:
        if var["type"] == "secret" and not var["value"]:
            del var["value"]  # no value: the stored secret is kept (builder/secrets.py)
    with transaction.atomic():
        if revision is None:
            revision = Workflow.objects.select_for_update().get(app=app).revision
        new_revision, _ = do_save_draft(app, spec, revision, user)
        do_audit(
            workspace_id=app.workspace_id,
            actor=user,
            action="app.update_dsl",
            target=app.slug,
            data={"revision": new_revision},
        )
    return new_revision, imported.notes
