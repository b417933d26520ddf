"""The job WebSocket: a snapshot on connect, then every trainer event and status change, relayed
from the channel layer or followed in progress.jsonl (a worker in another process), each once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from pydantic import TypeAdapter

from portal.routing import websocket_urlpatterns
from training.live import job_group
from training.models import Dataset, TrainJob
from training.protocol import TrainingServerMessage, TrainingSnapshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

SERVER_MESSAGE: TypeAdapter[TrainingServerMessage] = TypeAdapter(TrainingServerMessage)
STEP = {"event": "step", "step": 1, "total_steps": 4, "epoch": 0.25, "loss": 2.5, "lr": 1e-4}


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


def _job(membership: Any, tmp_path: Path) -> TrainJob:
    dataset = Dataset.objects.create(
        workspace=membership.workspace, name="d", format="alpaca", file_name="d.jsonl"
    )
    job = TrainJob.objects.create(
        workspace=membership.workspace,
        name="Greeter",
        adapter_name="greeter",
        base_model="embedded",
        status="running",
        output_dir=str(tmp_path / "job"),
        progress={"event": "start", "total_steps": 4},
    )
    job.datasets.set([dataset])
    (tmp_path / "job").mkdir()
    return job


async def _connect(user: Any, job_id: object) -> tuple[WebsocketCommunicator, bool]:
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/training/jobs/{job_id}/"
    )
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_socket_sends_snapshot_then_relays_events_and_status(
    owner: Any, tmp_path: Path
) -> None:
    job = await sync_to_async(_job)(owner, tmp_path)
    communicator, connected = await _connect(owner.user, job.pk)
    assert connected
    snapshot = await communicator.receive_json_from(timeout=10)
    assert snapshot["type"] == "snapshot"
    assert isinstance(SERVER_MESSAGE.validate_python(snapshot), TrainingSnapshot)
    assert (snapshot["id"], snapshot["status"]) == (str(job.pk), "running")
    assert snapshot["progress"]["total_steps"] == 4
    assert snapshot["curve"] == []
    layer = get_channel_layer()
    with (tmp_path / "job" / "progress.jsonl").open("a") as f:
        f.write(json.dumps(STEP) + "\n")  # the worker writes the line, then broadcasts it
    await layer.group_send(job_group(job.pk), {"type": "training.event", "seq": 1, "event": STEP})
    progress = await communicator.receive_json_from(timeout=10)
    assert progress == {"type": "progress", "seq": 1, "event": STEP}
    await TrainJob.objects.filter(pk=job.pk).aupdate(status="succeeded")
    await layer.group_send(job_group(job.pk), {"type": "training.status", "status": "succeeded"})
    assert await communicator.receive_json_from(timeout=10) == {
        "type": "status",
        "status": "succeeded",
    }
    assert await communicator.receive_nothing(timeout=1.2)  # the file poll repeats nothing
    await communicator.disconnect()


async def test_socket_follows_progress_file_of_a_worker_elsewhere(
    owner: Any, tmp_path: Path
) -> None:
    job = await sync_to_async(_job)(owner, tmp_path)
    progress = tmp_path / "job" / "progress.jsonl"
    progress.write_text(json.dumps({"event": "start", "total_steps": 4}) + "\n")
    communicator, _ = await _connect(owner.user, job.pk)
    assert (await communicator.receive_json_from(timeout=10))["type"] == "snapshot"
    done = {"event": "done", "adapter_dir": "x", "metrics": {}}
    with progress.open("a") as f:
        f.write(json.dumps(STEP) + "\n")
        f.write(json.dumps({"step": 2}) + "\n")  # not a trainer event: skipped, not sent
        f.write(json.dumps(done) + "\n")
        f.write('{"event": "no')  # a line still being written is not read yet
    await TrainJob.objects.filter(pk=job.pk).aupdate(status="succeeded")
    messages = [await communicator.receive_json_from(timeout=10) for _ in range(3)]
    assert messages == [
        {"type": "progress", "seq": 2, "event": STEP},
        {"type": "progress", "seq": 4, "event": done},
        {"type": "status", "status": "succeeded"},
    ]
    await communicator.disconnect()


async def test_socket_refuses_viewers_and_outsiders(
    owner: Any, make_member: Any, tmp_path: Path
) -> None:
    job = await sync_to_async(_job)(owner, tmp_path)
    viewer = await sync_to_async(make_member)("viewer", owner.workspace)
    outsider = await sync_to_async(make_member)("owner")
    for membership in (viewer, outsider):
        communicator, connected = await _connect(membership.user, job.pk)
        assert not connected
    editor = await sync_to_async(make_member)("editor", owner.workspace)
    communicator, connected = await _connect(editor.user, job.pk)
    assert connected
    await communicator.disconnect()


async def _assert_refused(communicator: WebsocketCommunicator) -> None:
    message = await communicator.receive_json_from(timeout=10)
    assert (message["type"], message["code"]) == ("error", "forbidden")
    closed = await communicator.receive_output(timeout=10)
    assert closed == {"type": "websocket.close", "code": 4403}


async def _watching_editor(owner: Any, make_member: Any, tmp_path: Path) -> tuple[Any, Any, Any]:
    job = await sync_to_async(_job)(owner, tmp_path)
    editor = await sync_to_async(make_member)("editor", owner.workspace)
    communicator, connected = await _connect(editor.user, job.pk)
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["type"] == "snapshot"
    return job, editor, communicator


async def test_socket_stops_relaying_events_once_the_member_is_removed(
    owner: Any, make_member: Any, tmp_path: Path
) -> None:
    job, editor, communicator = await _watching_editor(owner, make_member, tmp_path)
    await editor.adelete()
    layer = get_channel_layer()
    await layer.group_send(job_group(job.pk), {"type": "training.event", "seq": 1, "event": STEP})
    await _assert_refused(communicator)
    await communicator.disconnect()


async def test_socket_poll_closes_once_the_member_is_demoted(
    owner: Any, make_member: Any, tmp_path: Path
) -> None:
    _, editor, communicator = await _watching_editor(owner, make_member, tmp_path)
    editor.role = "viewer"
    await editor.asave(update_fields=["role"])
    await _assert_refused(communicator)  # no event needed: the file poll checks too
    await communicator.disconnect()


async def test_socket_checks_access_on_a_client_message(
    owner: Any, make_member: Any, tmp_path: Path
) -> None:
    _, editor, communicator = await _watching_editor(owner, make_member, tmp_path)
    await editor.adelete()
    await communicator.send_to(text_data="{}")
    await _assert_refused(communicator)
    await communicator.disconnect()


async def test_socket_shows_paths_relative_to_the_data_folder(owner: Any, tmp_path: Path) -> None:
    job = await sync_to_async(_job)(owner, tmp_path)
    progress = tmp_path / "job" / "progress.jsonl"
    checkpoint = {"event": "checkpoint", "step": 2, "path": str(tmp_path / "job" / "ckpt-2")}
    progress.write_text(json.dumps({"event": "start", "total_steps": 4}) + "\n")
    communicator, _ = await _connect(owner.user, job.pk)
    snapshot = await communicator.receive_json_from(timeout=10)
    assert snapshot["output_dir"] == "job"
    done = {"event": "done", "adapter_dir": str(tmp_path / "job" / "adapter"), "metrics": {}}
    with progress.open("a") as f:
        f.write(json.dumps(checkpoint) + "\n")  # followed in the file
    relayed = {"type": "training.event", "seq": 3, "event": done}
    first = await communicator.receive_json_from(timeout=10)
    await get_channel_layer().group_send(job_group(job.pk), relayed)  # relayed by the worker
    second = await communicator.receive_json_from(timeout=10)
    assert (first["event"]["path"], second["event"]["adapter_dir"]) == ("job/ckpt-2", "job/adapter")
    await communicator.disconnect()
