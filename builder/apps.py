from django.apps import AppConfig


class BuilderConfig(AppConfig):
    name = "builder"
    verbose_name = "Builder"

    def ready(self) -> None:
        """Register the workspaces' configured model providers as a kernel model source, and
        provide the workspace's model clients and the instance's outbound policy (the HTTP
        node's guard) to the runs that need them; register the run socket's messages in the
        protocol document."""
        from builder.protocol import PROTOCOL
        from builder.providers import workspace_providers
        from kernel.model_sources import get_workspace_models, register_model_source
        from kernel.outbound import outbound_policy
        from kernel.protocols import register_protocol
        from kernel.resources import provide
        from runtime.resources import MODELS, OUTBOUND

        register_model_source("builder.providers", workspace_providers)
        provide(MODELS, get_workspace_models)
        provide(OUTBOUND, lambda workspace_id: outbound_policy())  # the same for every workspace
        register_protocol("builder", PROTOCOL)
