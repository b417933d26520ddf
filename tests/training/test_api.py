"""/api/training/: dataset upload and import (checked row by row), options, jobs (create, stop,
resume, delete), adapters (list, export, merge, delete, playground), roles and the audit log."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import traceback
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kernel.models import AuditLog
from tests.training import _lora
from training.models import Adapter, Dataset, TrainJob

pytestmark = pytest.mark.django_db

ALPACA = [
    {"instruction": "Say hi", "input": "", "output": "Hi!"},
    {"instruction": "Add 2 and 3", "input": "", "output": "5"},
    {"instruction": "Name a colour", "output": "Blue"},
]
SHAREGPT = [
    {
        "conversations": [
            {"from": "human", "value": f"Question {i}?"},
            {"from": "gpt", "value": f"Answer {i}. " * (1 + 20 * i)},
        ]
    }
    for i in range(3)
]


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture(scope="session")
def loras(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real random LoRA adapters for the embedded model."""
    return _lora.loras(tmp_path_factory.mktemp("loras"))


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def upload(client: Any, rows: list[Any], name: str = "greetings", **form: Any) -> Any:
    """POST a JSONL file as a dataset."""
    file = SimpleUploadedFile("rows.jsonl", _jsonl(rows), "application/jsonl")
    return client.post("/api/training/datasets", {"file": file, "name": name, **form})


def create_job(client: Any, dataset_id: int, **body: Any) -> Any:
    """POST a job."""
    payload = {"name": "Greeter", "dataset_ids": [dataset_id], **body}
    return client.post("/api/training/jobs", payload, "application/json")


def test_upload_reports_bad_row_by_index_and_field_and_stores_nothing(
    owner: Any, client_for: Any, tmp_path: Path
) -> None:
    rows = [*ALPACA, {"instruction": "Broken", "output": 42}]
    response = upload(client_for(owner), rows)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "bad_dataset"
    assert body["problems"] == [{"row": 3, "field": "output", "message": "expected text, got int"}]
    assert "greetings: row 3, field 'output'" in body["message"]
    assert not Dataset.objects.exists()
    stored = tmp_path / "training" / "datasets"
    assert not stored.exists() or not any(stored.iterdir())


def test_upload_computes_stats_and_renders_preview_with_chat_template(
    owner: Any, client_for: Any
) -> None:
    client = client_for(owner)
    response = upload(client, SHAREGPT, name="qa", cutoff_len=128)
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["format"], created["ranking"], created["rows"]) == ("sharegpt", False, 3)
    stats = created["stats"]
    assert stats["rows"] == 3
    assert stats["tokens"] == created["tokens"] > 0
    assert stats["cutoff"] == 128
    assert stats["over_cutoff"] == 1  # the third answer is long
    assert sum(stats["histogram"]["counts"]) == 3
    assert len(stats["histogram"]["edges"]) == len(stats["histogram"]["counts"]) + 1
    first = created["preview"][0]["text"]
    assert "<|im_start|>user\nQuestion 0?<|im_end|>" in first
    assert "<|im_start|>assistant\nAnswer 0." in first
    detail = client.get(f"/api/training/datasets/{created['id']}").json()
    assert detail["stats"] == stats
    assert [d["name"] for d in client.get("/api/training/datasets").json()] == ["qa"]
    assert Path(Dataset.objects.get().path).read_bytes() == _jsonl(SHAREGPT)


def test_upload_detects_preference_rows(owner: Any, client_for: Any) -> None:
    rows = [{"instruction": "Pick", "chosen": "Good", "rejected": "Bad"}] * 2
    created = upload(client_for(owner), rows, name="prefs").json()
    assert (created["format"], created["ranking"]) == ("alpaca", True)
    assert created["preview"][0]["chosen"].startswith("Good")


def test_import_dataset_info_adds_all_datasets_or_none(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    info = {
        "greet": {"file_name": "greet.jsonl"},
        "chat": {
            "file_name": "chat.json",
            "formatting": "sharegpt",
            "columns": {"messages": "dialog"},
        },
        "hub": {"hf_hub_url": "someone/data"},
    }
    chat = json.dumps([{"dialog": c["conversations"]} for c in SHAREGPT]).encode()

    def post(*files: tuple[str, bytes]) -> Any:
        return client.post(
            "/api/training/datasets/import",
            {
                "info": SimpleUploadedFile("dataset_info.json", json.dumps(info).encode()),
                "files": [SimpleUploadedFile(n, c) for n, c in files],
            },
        )

    missing = post(("greet.jsonl", _jsonl(ALPACA)))
    assert missing.status_code == 422
    assert (missing.json()["code"], missing.json()["field"]) == ("missing_file", "chat")
    assert not Dataset.objects.exists()
    response = post(("greet.jsonl", _jsonl(ALPACA)), ("chat.json", chat))
    assert response.status_code == 201, response.content
    assert sorted(d["name"] for d in response.json()) == ["chat", "greet"]
    assert Dataset.objects.get(name="chat").columns["messages"] == "dialog"


def test_options_offer_settings_schema_base_models_and_stages(owner: Any, client_for: Any) -> None:
    options = client_for(owner).get("/api/training/options").json()
    props = options["settings_schema"]["properties"]
    assert props["learning_rate"]["default"] is None  # auto: 1e-4, small datasets 4e-4
    assert props["learning_rate"]["description"]
    assert "job_id" not in props
    assert "datasets" not in props
    assert options["defaults"]["cutoff_len"] == 1024
    assert options["defaults"]["lora"]["rank"] == 8
    assert options["base_models"][0]["id"] == "embedded"
    assert [s["id"] for s in options["stages"]] == ["sft", "rm", "dpo", "ppo"]


def test_create_job_queues_its_task_on_the_training_queue(owner: Any, client_for: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    client = client_for(owner)
    dataset = upload(client, ALPACA).json()
    response = create_job(client, dataset["id"], settings={"cutoff_len": 256})
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["status"], job["adapter_name"], job["stage"]) == ("queued", "greeter", "sft")
    assert job["dataset_ids"] == [dataset["id"]]
    queued = DBTaskResult.objects.get()
    assert queued.queue_name == "training"
    assert queued.args_kwargs["args"] == [job["id"], False]
    assert AuditLog.objects.filter(action="training.job.create", target=job["id"]).exists()


@pytest.mark.parametrize(
    ("job_settings", "field", "message"),
    [
        ({"learning_rate": -1}, "learning_rate", "Learning rate: use a number above 0"),
        ({"job_id": "x"}, "job_id", "Job id: Weft sets this itself; remove it"),
        ({"bogus": 1}, "bogus", "Bogus: not a known setting; remove it"),
        ({"epochs": "many"}, "epochs", "Epochs: enter a whole number"),
        (
            {"ppo": {"reward_adapter": "nope"}},
            "ppo.reward_adapter",
            "Reward adapter (ppo): not an adapter of this workspace",
        ),
    ],
)
def test_create_job_refuses_a_bad_setting_naming_it_in_words(
    owner: Any, client_for: Any, job_settings: dict[str, Any], field: str, message: str
) -> None:
    client = client_for(owner)
    dataset = upload(client, ALPACA).json()
    response = create_job(client, dataset["id"], settings=job_settings)
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["message"]) == (field, message)
    assert not TrainJob.objects.exists()


def test_create_job_refuses_the_forms_fields_in_words(owner: Any, client_for: Any) -> None:
    # the request's schema (ninja) answered pydantic's words, which the form showed as they were
    body = {"name": "", "dataset_ids": []}
    response = client_for(owner).post("/api/training/jobs", body, "application/json")
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid_param",
        "status": 422,
        "message": "Name: fill this in",
        "field": "name",
        "errors": [
            {"field": "name", "message": "Name: fill this in"},
            {"field": "dataset_ids", "message": "Datasets: add at least one"},
        ],
    }


def test_stop_and_resume_change_status(owner: Any, client_for: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    client = client_for(owner)
    job = create_job(client, upload(client, ALPACA).json()["id"]).json()
    stopped = client.post(f"/api/training/jobs/{job['id']}/stop").json()
    assert (stopped["status"], stopped["resumable"]) == ("stopped", True)
    assert client.post(f"/api/training/jobs/{job['id']}/stop").status_code == 409
    resumed = client.post(f"/api/training/jobs/{job['id']}/resume").json()
    assert resumed["status"] == "queued"
    assert DBTaskResult.objects.order_by("enqueued_at").last().args_kwargs["args"] == [  # type: ignore[union-attr]
        job["id"],
        True,
    ]
    assert client.post(f"/api/training/jobs/{job['id']}/resume").status_code == 409
    assert AuditLog.objects.filter(action="training.job.stop").count() == 1


def test_stop_of_a_running_job_sends_sigterm_to_its_trainer(owner: Any, client_for: Any) -> None:
    import socket

    client = client_for(owner)
    job_id = create_job(client, upload(client, ALPACA).json()["id"]).json()["id"]
    trainer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    TrainJob.objects.filter(pk=job_id).update(
        status="running",
        process=f"{socket.gethostname()}:{trainer.pid}",
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    body = client.post(f"/api/training/jobs/{job_id}/stop").json()
    assert (body["status"], body["stop_requested"]) == ("running", True)  # until it checkpoints
    assert trainer.wait(timeout=10) == -15


def test_roles_viewers_read_editors_run_admins_delete(
    owner: Any, make_member: Any, client_for: Any
) -> None:
    client = client_for(owner)
    dataset = upload(client, ALPACA).json()
    job = create_job(client, dataset["id"]).json()
    viewer = client_for(make_member("viewer", owner.workspace))
    assert viewer.get("/api/training/jobs").status_code == 200
    assert viewer.get(f"/api/training/jobs/{job['id']}").status_code == 200
    assert viewer.get(f"/api/training/datasets/{dataset['id']}").status_code == 200
    assert upload(viewer, ALPACA, name="mine").status_code == 403
    assert create_job(viewer, dataset["id"]).status_code == 403
    assert viewer.post(f"/api/training/jobs/{job['id']}/stop").status_code == 403
    editor = client_for(make_member("editor", owner.workspace))
    assert editor.post(f"/api/training/jobs/{job['id']}/stop").status_code == 200
    assert editor.delete(f"/api/training/jobs/{job['id']}").status_code == 403
    assert editor.delete(f"/api/training/datasets/{dataset['id']}").status_code == 403
    outsider = client_for(make_member("owner"))
    assert outsider.get(f"/api/training/jobs/{job['id']}").status_code == 404
    assert outsider.get(f"/api/training/datasets/{dataset['id']}").status_code == 404
    admin = client_for(make_member("admin", owner.workspace))
    assert admin.delete(f"/api/training/jobs/{job['id']}").status_code == 204
    assert admin.delete(f"/api/training/datasets/{dataset['id']}").status_code == 204
    assert AuditLog.objects.filter(action="training.job.delete").count() == 1


def test_delete_job_refused_while_queued_and_removes_its_folder(
    owner: Any, client_for: Any, tmp_path: Path
) -> None:
    client = client_for(owner)
    dataset_id = upload(client, ALPACA).json()["id"]
    job = create_job(client, dataset_id).json()
    assert client.delete(f"/api/training/jobs/{job['id']}").status_code == 409
    assert client.delete(f"/api/training/datasets/{dataset_id}").status_code == 409
    folder = tmp_path / client.post(f"/api/training/jobs/{job['id']}/stop").json()["output_dir"]
    folder.mkdir(parents=True)
    (folder / "trainer.log").write_text("one\ntwo\n")
    assert client.get(f"/api/training/jobs/{job['id']}").json()["log_tail"] == ["one", "two"]
    assert client.delete(f"/api/training/jobs/{job['id']}").status_code == 204
    assert not folder.exists()


def test_adapters_list_export_and_delete(
    owner: Any, make_member: Any, client_for: Any, loras: dict[str, Path]
) -> None:
    adapter = _lora.register(owner.workspace, "support-bot", loras["a"])
    client = client_for(owner)
    listed = client.get("/api/training/adapters").json()
    assert [(a["name"], a["label"]) for a in listed] == [
        ("support-bot", "smollm2-135m-instruct + support-bot")
    ]
    exported = client.get(f"/api/training/adapters/{adapter.pk}/export")
    assert exported.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(exported.streaming_content)))
    assert {"adapter_config.json", "adapter_model.safetensors"} <= set(archive.namelist())
    editor = client_for(make_member("editor", owner.workspace))
    assert editor.delete(f"/api/training/adapters/{adapter.pk}").status_code == 403
    client = client_for(owner)  # one test client: sign the owner in again
    assert client.delete(f"/api/training/adapters/{adapter.pk}").status_code == 204
    assert client.get("/api/training/adapters").json() == []
    assert AuditLog.objects.filter(action="training.adapter.delete", target="support-bot").exists()
    assert (loras["a"] / "adapter_config.json").exists()  # only folders Weft made are removed


def test_merge_adapter_writes_a_full_model_folder(
    owner: Any, client_for: Any, loras: dict[str, Path], tmp_path: Path
) -> None:
    adapter = _lora.register(owner.workspace, "support-bot", loras["a"])
    response = client_for(owner).post(f"/api/training/adapters/{adapter.pk}/merge")
    assert response.status_code == 200, response.content
    shown = response.json()["path"]
    assert shown == f"training/merged/w{owner.workspace.pk}/support-bot"  # under the data folder
    merged = tmp_path / shown
    assert (merged / "config.json").is_file()
    assert (merged / "tokenizer.json").is_file()
    assert not (merged / "adapter_config.json").exists()


def test_playground_answers_with_base_and_adapter_side_by_side(
    owner: Any, client_for: Any, loras: dict[str, Path]
) -> None:
    _lora.register(owner.workspace, "support-bot", loras["a"])
    response = client_for(owner).post(
        "/api/training/playground",
        {"adapter": "support-bot", "prompt": "Write a haiku about rain.", "max_tokens": 16},
        "application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["base"]
    assert body["adapter"]
    assert body["base"] != body["adapter"]


def test_identity_demo_dataset_fills_the_name_and_makers(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    body = {"assistant_name": "Weftling", "author": "the Weft team"}
    response = client.post("/api/training/datasets/identity", body, "application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == "Identity: Weftling"
    assert created["format"] == "alpaca"
    assert created["rows"] >= 90
    text = Path(Dataset.objects.get().path).read_text()
    assert "Weftling" in text
    assert "the Weft team" in text
    assert "{{name}}" not in text
    assert "{{author}}" not in text
    blank = client.post(
        "/api/training/datasets/identity",
        {"assistant_name": " ", "author": "x", "name": "other"},
        "application/json",
    )
    assert blank.status_code == 422
    assert (blank.json()["field"], blank.json()["message"]) == (
        "assistant_name",
        "Assistant name: fill this in",
    )
    no_author = {"assistant_name": "Weftling", "author": "  "}
    blank = client.post("/api/training/datasets/identity", no_author, "application/json")
    assert (blank.json()["field"], blank.json()["message"]) == ("author", "Author: fill this in")


def _import(client: Any, info: bytes, *files: tuple[str, bytes]) -> Any:
    return client.post(
        "/api/training/datasets/import",
        {
            "info": SimpleUploadedFile("dataset_info.json", info),
            "files": [SimpleUploadedFile(n, c) for n, c in files],
        },
    )


def test_import_refuses_files_that_are_not_utf8_naming_the_file(
    owner: Any, client_for: Any, settings: Any
) -> None:
    client = client_for(owner)
    info = json.dumps({"greet": {"file_name": "greet.jsonl"}}).encode()
    latin1 = "Grüße".encode("latin-1")
    bad_info = _import(client, b'{"greet": "' + latin1 + b'"}', ("greet.jsonl", _jsonl(ALPACA)))
    bad_data = _import(client, info, ("greet.jsonl", _jsonl(ALPACA) + b"\n" + latin1))
    for response, file in ((bad_info, "dataset_info.json"), (bad_data, "greet.jsonl")):
        assert response.status_code == 422, response.content
        body = response.json()
        assert (body["code"], body["field"]) == ("bad_dataset", file)
        assert f"{file} is not UTF-8 text" in body["message"]
        assert str(settings.DATA_DIR) not in response.content.decode()
    assert not Dataset.objects.exists()


def test_upload_refuses_non_utf8_and_empty_files_and_reads_a_bom(
    owner: Any, client_for: Any
) -> None:
    client = client_for(owner)

    def post(content: bytes, name: str) -> Any:
        file = SimpleUploadedFile("rows.json", content, "application/json")
        return client.post("/api/training/datasets", {"file": file, "name": name})

    not_utf8 = post(json.dumps(ALPACA, ensure_ascii=False).encode("utf-16"), "wide")
    assert not_utf8.status_code == 422
    assert (not_utf8.json()["field"], not_utf8.json()["problems"][0]["field"]) == (
        "file",
        "encoding",
    )
    assert "rows.json is not UTF-8 text" in not_utf8.json()["message"]
    empty = post(b"", "empty")
    assert (empty.status_code, empty.json()["field"]) == (422, "file")
    scalar = post(b'"just a string"', "scalar")
    assert (scalar.status_code, scalar.json()["code"]) == (422, "bad_dataset")
    deep = post(b"[" * 100_000, "deep")
    assert (deep.status_code, deep.json()["code"]) == (422, "bad_dataset")
    bom = post(b"\xef\xbb\xbf" + json.dumps(ALPACA).encode(), "bom")
    assert bom.status_code == 201, bom.content
    assert bom.json()["rows"] == len(ALPACA)


def test_job_and_adapter_show_folders_relative_to_the_data_folder(
    owner: Any, client_for: Any, tmp_path: Path
) -> None:
    client = client_for(owner)
    dataset = upload(client, ALPACA).json()
    job = TrainJob.objects.get(pk=create_job(client, dataset["id"]).json()["id"])
    folder = tmp_path / "training" / "jobs" / str(job.pk)
    checkpoint = folder / "checkpoints" / "step-4"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trainer.log").write_text(f"checkpoint: step=4 path={checkpoint}\n")
    job.progress = {"checkpoint": {"event": "checkpoint", "step": 4, "path": str(checkpoint)}}
    job.error = f"the adapter could not be registered: [Errno 28] No space left: '{folder}'"
    job.status = "failed"
    job.save()
    adapter_dir = tmp_path / "training" / "adapters" / f"w{owner.workspace.pk}" / "greeter"
    Adapter.objects.create(
        workspace=owner.workspace, name="greeter", base_model="embedded", path=str(adapter_dir)
    )
    response = client.get(f"/api/training/jobs/{job.pk}")
    detail = response.json()
    assert detail["output_dir"] == f"training/jobs/{job.pk}"
    assert detail["progress"]["checkpoint"]["path"] == f"training/jobs/{job.pk}/checkpoints/step-4"
    assert detail["log_tail"] == [
        f"checkpoint: step=4 path=training/jobs/{job.pk}/checkpoints/step-4"
    ]
    assert detail["error"].endswith(f"'training/jobs/{job.pk}'")
    adapters = client.get("/api/training/adapters")
    assert [a["path"] for a in adapters.json()] == [
        f"training/adapters/w{owner.workspace.pk}/greeter"
    ]
    for body in (response.content, client.get("/api/training/jobs").content, adapters.content):
        assert str(tmp_path) not in body.decode()
    assert TrainJob.objects.get(pk=job.pk).output_dir == str(folder)  # the row keeps it whole


def test_job_log_tail_leaves_out_traceback_frames(
    owner: Any, client_for: Any, settings: Any
) -> None:
    client = client_for(owner)
    job = TrainJob.objects.get(
        pk=create_job(client, upload(client, ALPACA).json()["id"]).json()["id"]
    )
    try:
        try:
            json.loads("{")
        except ValueError as exc:
            raise RuntimeError("the step failed") from exc
    except RuntimeError:
        frames = traceback.format_exc()
    job.folder.mkdir(parents=True, exist_ok=True)
    (job.folder / "trainer.log").write_text(f"step 1/4\njob {job.pk} failed:\n{frames}done\n")
    response = client.get(f"/api/training/jobs/{job.pk}")
    assert response.json()["log_tail"] == [
        "step 1/4",
        f"job {job.pk} failed:",
        "(stack frames left out: the full log is on the server)",
        "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        "RuntimeError: the step failed",
        "done",
    ]
    assert "Traceback" not in response.content.decode()
    assert str(settings.BASE_DIR) not in response.content.decode()
