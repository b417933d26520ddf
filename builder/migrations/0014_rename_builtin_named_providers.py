"""A workspace provider saved as `embedded` before that name was refused hides the built-in
embedded model: rename it (`embedded-2`, ...) with the references to it in drafts and versions,
and record the rename in the audit log (builder/_provider_renames.py)."""

from typing import Any

from django.db import migrations


def rename(apps: Any, schema_editor: Any) -> None:
    from builder._provider_renames import do_rename_builtin_named_providers

    names = (("builder", "ModelProvider"), ("builder", "Workflow"), ("builder", "AppVersion"))
    models = {name: apps.get_model(label, name) for label, name in names}
    models["AuditLog"] = apps.get_model("portal", "AuditLog")
    do_rename_builtin_named_providers(models)


class Migration(migrations.Migration):
    dependencies = [
        ("builder", "0013_noderun_iteration_path"),
        ("portal", "0004_workspace_allow_code_node"),
    ]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
