from django.apps import AppConfig


class ToolsConfig(AppConfig):
    name = "tools"
    verbose_name = "Tools"

    def ready(self) -> None:
        """Provide the workspaces' tool sessions (their MCP servers, pooled per event loop, and
        the built-in servers other apps register) to the runs whose nodes call tools."""
        from kernel.resources import provide
        from runtime.resources import TOOLS
        from tools.provider import workspace_tools

        provide(TOOLS, workspace_tools)
