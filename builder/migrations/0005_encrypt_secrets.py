"""Encrypt the secret env values that drafts and versions saved before encryption hold in plain
text (audit finding 2); newer code encrypts them on save and publish."""

from typing import Any

from django.db import migrations


def encrypt(apps: Any, schema_editor: Any) -> None:
    from builder.secrets import do_encrypt_plain_secrets

    do_encrypt_plain_secrets(apps.get_model("builder", "Workflow"), apps.get_model("builder", "AppVersion"))


class Migration(migrations.Migration):
    dependencies = [("builder", "0004_run_source_debug")]

    operations = [migrations.RunPython(encrypt, migrations.RunPython.noop)]
