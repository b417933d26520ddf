"""The identity models moved from portal to kernel without a database change (kernel/README.md)."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.migrations.loader import MigrationLoader

from kernel.models import AuditLog, Membership, User, Workspace


def test_kernel_app_keeps_the_portal_label_and_its_tables() -> None:
    assert apps.get_app_config("portal").name == "kernel"
    assert get_user_model() is User
    tables = [m._meta.db_table for m in (User, Workspace, Membership, AuditLog)]
    assert tables == ["portal_user", "portal_workspace", "portal_membership", "portal_auditlog"]


def test_the_portal_migration_history_is_the_kernels() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    portal = sorted(name for label, name in loader.disk_migrations if label == "portal")
    assert portal[:2] == ["0001_initial", "0002_invitations_and_default_workspace"]
    assert portal[2:] == [
        "0003_workerbeat",  # the task workers' heartbeats (kernel/workers.py)
        "0004_workspace_allow_code_node",  # the admin's switch for code nodes
    ]
    assert loader.disk_migrations["portal", "0001_initial"].__module__.startswith("kernel.")
    assert ("portal", "0001_initial") in loader.graph.node_map["builder", "0002_initial"].parents
