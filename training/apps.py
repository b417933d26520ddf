from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self) -> None:
        """Register the workspaces' trained adapters as models (a kernel model source)."""
        from kernel.model_sources import register_model_source
        from training.adapters import workspace_adapters

        register_model_source("training.adapters", workspace_adapters)
