from django.apps import AppConfig


class BuilderConfig(AppConfig):
    name = "builder"
    verbose_name = "Builder"

    def ready(self) -> None:
        """Register the workspaces' configured model providers as a kernel model source, and
        provide the workspace's model clients and the instance's outbound policy (the HTTP
        node's guard) to the runs that need them, and the code sandbox to workspaces whose admin
        turned code nodes on; offer the workspace's published apps as the "apps" tool server;
        register the run socket's messages in the protocol document."""
        from builder.app_tools import SERVER, app_servers
        from builder.protocol import PROTOCOL
        from builder.providers import workspace_providers
        from kernel.model_sources import get_workspace_models, register_model_source
        from kernel.outbound import outbound_policy
        from kernel.protocols import register_protocol
        from kernel.resources import provide
        from kernel.tool_sources import register_tool_source
        from kernel.workspaces import code_nodes_allowed
        from runtime.code_sandbox import ProcessCodeRunner
        from runtime.resources import CODE_SANDBOX, MODELS, OUTBOUND

        register_model_source("builder.providers", workspace_providers)
        provide(MODELS, get_workspace_models)
        provide(OUTBOUND, lambda workspace_id: outbound_policy())  # the same for every workspace
        runner = ProcessCodeRunner()  # holds nothing: every call starts its own process
        provide(CODE_SANDBOX, lambda workspace_id: runner, allowed=code_nodes_allowed)
        register_tool_source("builder.apps", app_servers, frozenset({SERVER}))
        register_protocol("builder", PROTOCOL)
