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

    def ready(self) -> None:
        """Offer every workspace the standard tool servers (time, calculator, http): they need
        no feature app, and http reaches only what the instance's outbound policy allows."""
        from kernel.outbound import outbound_policy
        from kernel.tool_sources import register_tool_source
        from runtime.tools import STANDARD_SERVERS, standard_servers

        register_tool_source(
            "kernel.standard",
            lambda workspace_id: standard_servers(outbound_policy()),
            STANDARD_SERVERS,
        )
