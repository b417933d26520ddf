"""The job runner with the real trainer process (a few rows, a tiny cutoff, a couple of steps):
success registers an adapter that LLM nodes can use, a trainer error fails the job naming its
code, stop checkpoints and resumes; a job whose worker died is swept to "interrupted"."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from training.jobs import do_resume_job, do_stop_job
from training.models import Adapter, Dataset, TrainJob
from training.processes import do_sweep_interrupted_jobs
from training.tasks import run_train_job

pytestmark = pytest.mark.django_db(transaction=True)

HOST = socket.gethostname()
TINY = {
    "max_samples": 8,
    "cutoff_len": 128,
    "epochs": 1,
    "max_steps": 2,
    "val_size": 0,
    "keep_general": False,
    "batch_size": 2,
}


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _job(
    membership: Any, settings: dict[str, Any] | None = None, rows: int = 8, **fields: Any
) -> TrainJob:
    from training.datasets import do_upload_dataset
    from training.jobs import do_create_job

    data = [
        {"instruction": f"Greet person {i}", "output": f"Hello, person {i}!"} for i in range(rows)
    ]
    content = "\n".join(json.dumps(r) for r in data).encode()
    dataset = Dataset.objects.filter(workspace=membership.workspace, name="greetings").first()
    dataset = dataset or do_upload_dataset(
        membership.workspace, membership.user, "greetings", "g.jsonl", content
    )
    job = do_create_job(
        membership.workspace,
        membership.user,
        name="Greeter",
        base_model="embedded",
        stage="sft",
        dataset_ids=[dataset.pk],
        settings=settings or TINY,
    )
    if fields:
        TrainJob.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    return job


def test_sweep_marks_jobs_of_dead_workers_interrupted(owner: Any, client_for: Any) -> None:
    dead = _job(owner, status="running", worker=f"{HOST}:{_dead_pid()}")
    alive = _job(owner, status="running", worker=f"{HOST}:{os.getpid()}")
    elsewhere = _job(owner, status="running", worker=f"other-host:{_dead_pid()}")
    jobs = {j["id"]: j for j in client_for(owner).get("/api/training/jobs").json()}
    assert jobs[str(dead.pk)]["status"] == "interrupted"
    assert jobs[str(dead.pk)]["resumable"] is True
    assert jobs[str(alive.pk)]["status"] == "running"
    assert jobs[str(elsewhere.pk)]["status"] == "running"  # only its own host can tell
    assert do_sweep_interrupted_jobs() == 0


def test_sweep_stops_a_trainer_that_outlived_its_worker(owner: Any) -> None:
    trainer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    job = _job(
        owner, status="running", worker=f"{HOST}:{_dead_pid()}", process=f"{HOST}:{trainer.pid}"
    )
    assert do_sweep_interrupted_jobs() == 1
    assert trainer.wait(timeout=10) == -15  # SIGTERM: a real trainer checkpoints
    job.refresh_from_db()
    assert (job.status, job.error_code) == ("interrupted", "interrupted")


def test_task_leaves_a_job_stopped_while_queued(owner: Any) -> None:
    job = _job(owner)
    do_stop_job(job, owner.user)
    assert run_train_job.call(str(job.pk)) == "stopped"
    assert not (job.folder / "job.json").exists()


def test_task_runs_the_trainer_and_registers_its_adapter(
    owner: Any, client_for: Any, make_app: Any
) -> None:
    from tests.training._lora import llm_spec

    job = _job(owner)
    assert run_train_job.call(str(job.pk)) == "succeeded"
    job.refresh_from_db()
    assert job.progress["step"] == job.progress["total_steps"] == 2
    assert [p["step"] for p in job.curve] == [1, 2]
    assert job.process.startswith(f"{HOST}:")
    assert job.finished_at is not None
    config = json.loads((job.folder / "job.json").read_text())
    assert (config["job_id"], config["cutoff_len"]) == (str(job.pk), 128)
    adapter = Adapter.objects.get(job=job)
    assert adapter.name == "greeter"
    assert (Path(adapter.path) / "adapter_config.json").is_file()
    providers = client_for(owner).get("/api/providers").json()
    assert "greeter" in providers[0]["models"]
    app, _ = make_app(owner, spec=llm_spec("greeter"), slug="greeter-app")
    run = client_for(owner).post(
        f"/api/apps/{app.pk}/runs", {"query": "Greet person 3"}, "application/json"
    )
    assert run.json()["status"] == "succeeded", run.json()
    assert run.json()["answer"]


def test_task_fails_the_job_with_the_trainers_error_code(owner: Any) -> None:
    job = _job(owner, settings={**TINY, "cutoff_len": 16})  # every row is longer
    assert run_train_job.call(str(job.pk)) == "failed"
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error_code in ("empty_dataset", "row_too_long")
    assert job.error
    assert not Adapter.objects.exists()


@pytest.mark.timeout(1200)  # generous waits: the machine may be busy with other work
def test_stop_checkpoints_a_running_job_and_resume_continues(owner: Any) -> None:
    job = _job(owner, settings={**TINY, "epochs": 20, "max_steps": 30})
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(run_train_job.call(str(job.pk))))
    worker.start()
    deadline = time.monotonic() + 600
    while not TrainJob.objects.get(pk=job.pk).curve:
        assert time.monotonic() < deadline, "no step within 10 minutes"
        time.sleep(0.2)
    do_stop_job(TrainJob.objects.get(pk=job.pk), owner.user)
    worker.join(timeout=600)
    job.refresh_from_db()
    assert result == ["stopped"]
    assert (job.status, job.stop_requested) == ("stopped", False)
    assert any((job.folder / "checkpoints").iterdir())
    stopped_at = job.curve[-1]["step"]
    assert stopped_at < 30
    do_resume_job(job)
    job.refresh_from_db()
    assert job.status == "queued"
    TrainJob.objects.filter(pk=job.pk).update(
        settings={**TINY, "epochs": 20, "max_steps": stopped_at + 1}
    )
    assert run_train_job.call(str(job.pk), True) == "succeeded"
    job.refresh_from_db()
    assert job.curve[-1]["step"] == stopped_at + 1
    assert job.attempts == 2
