"""A job's TrainJobConfig (its job.json), built from its row, datasets and settings."""

from __future__ import annotations

from pathlib import Path

from training.config import TrainJobConfig
from training.datasets import dataset_ref, resolve_base_model
from training.errors import TrainingConfigError
from training.models import Adapter, TrainJob, training_dir

# Fields of TrainJobConfig that the job's own columns set; `settings` holds the rest.
RESERVED_SETTINGS = ("job_id", "output_dir", "base_model", "stage", "datasets", "resume")


def build_config(
    job: TrainJob, *, resume: bool = False, base_path: Path | None = None
) -> TrainJobConfig:
    """The job's TrainJobConfig (job.json).

    TrainingConfigError names a bad setting; BaseModelError, a base model the instance does not
    offer.
    """
    data = {
        **job.settings,
        "job_id": str(job.pk),
        "output_dir": str(job.folder),
        "base_model": str(base_path or resolve_base_model(job.base_model)),
        "stage": job.stage,
        "datasets": [dataset_ref(d).model_dump(mode="json") for d in job.datasets.all()],
        "resume": resume,
    }
    ppo = data.get("ppo")
    if isinstance(ppo, dict) and ppo.get("reward_adapter") is not None:
        data["ppo"] = {**ppo, "reward_adapter": reward_adapter_path(job, ppo["reward_adapter"])}
    return TrainJobConfig.load(data)


def reward_adapter_path(job: TrainJob, reward: object) -> str:
    """The folder of the job's reward model: an adapter of the job's own workspace, by name.

    Jobs created before names were required may hold that adapter's folder instead: absolute,
    or relative to the data folder as responses show it (kernel.paths.shown). Anything else
    (another workspace's adapter, any other path) is refused with one message.
    """
    mine = Adapter.objects.filter(workspace_id=job.workspace_id)
    found = None
    if isinstance(reward, str) and reward:
        folders = {reward, str(training_dir().parent / reward)}
        found = mine.filter(name=reward).first() or mine.filter(path__in=folders).first()
    if found is None:
        raise TrainingConfigError("ppo.reward_adapter", "not an adapter of this workspace")
    return found.path
