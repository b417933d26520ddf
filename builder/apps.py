from django.apps import AppConfig


class BuilderConfig(AppConfig):
    name = "builder"
    verbose_name = "Builder"

    def ready(self) -> None:
        """Register the workspaces' configured model providers as a kernel model source, and
        provide the workspace's model clients to the runs that need them; register the run
        socket's messages in the protocol document."""
        from builder.protocol import PROTOCOL
        from builder.providers import workspace_providers
        from kernel.model_sources import get_workspace_models, register_model_source
        from kernel.protocols import register_protocol
        from kernel.resources import provide
        from runtime.resources import MODELS

        register_model_source("builder.providers", workspace_providers)
        provide(MODELS, get_workspace_models)
        register_protocol("builder", PROTOCOL)
