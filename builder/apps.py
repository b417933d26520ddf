from django.apps import AppConfig


class BuilderConfig(AppConfig):
    name = "builder"
    verbose_name = "Builder"

    def ready(self) -> None:
        """Register the workspaces' configured model providers as a kernel model source."""
        from builder.providers import workspace_providers
        from kernel.model_sources import register_model_source

        register_model_source("builder.providers", workspace_providers)
