from django.apps import AppConfig


class KernelConfig(AppConfig):
    """The identity models' app. Its label stays "portal", where these models were born.

    The label names the tables (portal_user …), AUTH_USER_MODEL ("portal.User"), the content
    types, the other apps' migration dependencies and the django_migrations history; keeping it
    moved the code without touching a database (kernel/README.md).
    """

    name = "kernel"
    label = "portal"
    verbose_name = "Portal"
