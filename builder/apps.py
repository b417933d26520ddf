from django.apps import AppConfig


class BuilderConfig(AppConfig):
    name = "builder"
    verbose_name = "Builder"

    def ready(self) -> None:
        """Provide the workspace's model clients to the runs that need them."""
        from builder.providers import get_workspace_models
        from kernel.resources import provide
        from runtime.resources import MODELS

        provide(MODELS, get_workspace_models)
