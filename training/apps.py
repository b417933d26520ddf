from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self) -> None:
        """Register the workspaces' trained adapters as models (a kernel model source), and the
        job socket's messages in the protocol document."""
        from kernel.model_sources import register_model_source
        from kernel.protocols import register_protocol
        from training.adapters import workspace_adapters
        from training.protocol import PROTOCOL

        register_model_source("training.adapters", workspace_adapters)
        register_protocol("training", PROTOCOL)
