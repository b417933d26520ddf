"""Audit finding 2, for data stored before the fix: encrypt the secret env values that drafts and
versions hold in plain text (newer code encrypts them on save and publish), and mask those
secrets in the traces (runs, node runs, chat messages) that runs stored before they were masked."""

from typing import Any

from django.db import migrations


def encrypt(apps: Any, schema_editor: Any) -> None:
    from builder.secrets import do_encrypt_plain_secrets

    do_encrypt_plain_secrets(
        apps.get_model("builder", "Workflow"), apps.get_model("builder", "AppVersion")
    )


def mask_traces(apps: Any, schema_editor: Any) -> None:
    from builder._scrub_traces import do_mask_old_traces

    names = ("Workflow", "AppVersion", "Run", "NodeRun", "Message")
    do_mask_old_traces({name: apps.get_model("builder", name) for name in names})


class Migration(migrations.Migration):
    dependencies = [("builder", "0004_run_source_debug")]

    operations = [
        migrations.RunPython(encrypt, migrations.RunPython.noop),
        migrations.RunPython(mask_traces, migrations.RunPython.noop),
    ]
