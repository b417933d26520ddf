"""Audit finding 1: every path a user names resolves inside its workspace's own folder (or a root
an admin configured) or is refused, with one error whether the path exists or not, and never
reaches the database's files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from training.models import Dataset

pytestmark = pytest.mark.django_db

ALPACA = [{"instruction": "Say hi", "input": "", "output": "Hi!"}] * 2


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "var"


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def _import(client: Any, file_name: str, *files: tuple[str, bytes]) -> Any:
    info = {"x": {"file_name": file_name}}
    return client.post(
        "/api/training/datasets/import",
        {
            "info": SimpleUploadedFile("dataset_info.json", json.dumps(info).encode()),
            "files": [SimpleUploadedFile(n, c) for n, c in files or [("other.jsonl", b"")]],
        },
    )


def test_import_dataset_info_refuses_another_workspace_dataset(
    owner: Any, make_member: Any, client_for: Any
) -> None:
    file = SimpleUploadedFile("identity.jsonl", _jsonl(ALPACA))
    first = client_for(owner).post("/api/training/datasets", {"file": file, "name": "private"})
    assert first.status_code == 201, first.content
    other = make_member("owner")
    stolen = f"../../datasets/{first.json()['id']}/identity.jsonl"
    response = _import(client_for(other), stolen)
    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["field"]) == ("bad_path", "x.file_name")
    assert not Dataset.objects.filter(workspace=other.workspace).exists()


def test_import_dataset_info_gives_one_error_for_existing_and_missing_paths(
    owner: Any, client_for: Any
) -> None:
    client = client_for(owner)
    existing = _import(client, "/etc/passwd")
    missing = _import(client, "/etc/no-such-file-here")
    climbing = _import(client, "../../../../../../etc/passwd")
    assert existing.status_code == missing.status_code == climbing.status_code == 422
    assert existing.json() == missing.json() == climbing.json()
    assert "/etc" not in existing.json()["message"]


def test_import_dataset_info_never_opens_the_database(
    owner: Any, client_for: Any, settings: Any
) -> None:
    database = Path(settings.DATA_DIR) / "weft.sqlite3"
    database.parent.mkdir(parents=True, exist_ok=True)
    database.write_bytes(b"SQLite format 3\x00")
    response = _import(client_for(owner), "../../../weft.sqlite3")
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "bad_path"


def test_import_dataset_info_still_reads_its_own_files(owner: Any, client_for: Any) -> None:
    response = _import(client_for(owner), "./sub/../greet.jsonl", ("greet.jsonl", _jsonl(ALPACA)))
    assert response.status_code == 201, response.content
    assert Dataset.objects.get().rows == 2


def test_resolve_inside_refuses_database_files_even_inside_the_root(settings: Any) -> None:
    from kernel.paths import UnsafePathError, resolve_inside

    root = Path(settings.DATA_DIR)
    root.mkdir(parents=True, exist_ok=True)
    for name in ("weft.sqlite3", "weft.sqlite3-wal", "weft.sqlite3-shm"):
        with pytest.raises(UnsafePathError, match="base_model"):
            resolve_inside(root, name, field="base_model")
    (root / "models").mkdir()
    (root / "models" / "db").symlink_to(root / "weft.sqlite3")
    with pytest.raises(UnsafePathError):
        resolve_inside(root / "models", "db", field="base_model")
    assert resolve_inside(root, "models/m", field="base_model") == root.resolve() / "models" / "m"


def _dataset(client: Any) -> int:
    file = SimpleUploadedFile("rows.jsonl", _jsonl(ALPACA))
    created = client.post("/api/training/datasets", {"file": file, "name": "rows"})
    assert created.status_code == 201, created.content
    return int(created.json()["id"])


def _job(client: Any, dataset_id: int, **body: Any) -> Any:
    payload = {"name": "Greeter", "dataset_ids": [dataset_id], **body}
    return client.post("/api/training/jobs", payload, "application/json")


def test_base_model_is_only_a_model_the_instance_offers(
    owner: Any, client_for: Any, settings: Any, tmp_path: Path
) -> None:
    unoffered = tmp_path / "somewhere" / "model"
    unoffered.mkdir(parents=True)
    (unoffered / "config.json").write_text("{}")
    client = client_for(owner)
    dataset_id = _dataset(client)
    answers = [
        _job(client, dataset_id, base_model=str(path)).json()
        for path in (unoffered, "/etc", "/no/such/model", "../../models")
    ]
    assert all(a == answers[0] for a in answers), answers
    assert (answers[0]["code"], answers[0]["field"]) == ("bad_base_model", "base_model")
    assert str(tmp_path) not in answers[0]["message"]


def test_base_models_come_from_the_roots_an_admin_configures(
    owner: Any, client_for: Any, settings: Any, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    (root / "llama" / "weights").mkdir(parents=True)
    (root / "llama" / "config.json").write_text("{}")
    (root / "notes").mkdir()
    settings.WEFT_MODEL_ROOTS = [str(root)]
    client = client_for(owner)
    offered = [m["id"] for m in client.get("/api/training/options").json()["base_models"]]
    assert offered == ["embedded", str(root / "llama")]
    dataset_id = _dataset(client)
    assert _job(client, dataset_id, base_model=str(root / "llama")).status_code == 201
    nested = _job(client, dataset_id, base_model=str(root / "llama" / "weights"))
    assert nested.json()["code"] == "bad_base_model"


def test_reward_adapter_is_an_adapter_of_the_jobs_own_workspace(
    owner: Any, make_member: Any, client_for: Any, tmp_path: Path
) -> None:
    from tests.training import _lora
    from training.job_config import build_config
    from training.models import TrainJob

    theirs = _lora.register(owner.workspace, "their-rm", tmp_path / "their-rm")
    member = make_member("owner")
    mine = _lora.register(member.workspace, "my-rm", tmp_path / "my-rm")
    client = client_for(member)
    dataset_id = _dataset(client)
    refused = [
        _job(client, dataset_id, stage="ppo", settings={"ppo": {"reward_adapter": reward}})
        for reward in (theirs.path, theirs.name, "/etc", "../../adapters/1")
    ]
    bodies = [r.json() for r in refused]
    assert [r.status_code for r in refused] == [422] * 4, bodies
    assert all(b == bodies[0] for b in bodies), bodies
    assert bodies[0]["field"] == "ppo.reward_adapter"
    created = _job(client, dataset_id, stage="ppo", settings={"ppo": {"reward_adapter": "my-rm"}})
    assert created.status_code == 201, created.content
    config = build_config(TrainJob.objects.get(pk=created.json()["id"]), base_path=tmp_path)
    assert str(config.ppo.reward_adapter) == mine.path


@pytest.fixture(scope="session")
def loras(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real random LoRA adapters for the embedded model."""
    from tests.training import _lora

    return _lora.loras(tmp_path_factory.mktemp("loras"))


def test_merges_and_exports_of_same_named_adapters_stay_apart(
    owner: Any, make_member: Any, client_for: Any, loras: dict[str, Path]
) -> None:
    import zipfile

    from tests.training import _lora
    from training.jobs import do_export_adapter

    first = _lora.register(owner.workspace, "support-bot", loras["a"])
    second = _lora.register(make_member("owner").workspace, "support-bot", loras["b"])
    exports = [do_export_adapter(a) for a in (first, second)]
    assert exports[0] != exports[1]
    weights = [zipfile.ZipFile(e).read("adapter_model.safetensors") for e in exports]
    assert weights[0] == (loras["a"] / "adapter_model.safetensors").read_bytes()
    assert weights[1] == (loras["b"] / "adapter_model.safetensors").read_bytes()
    merged = client_for(owner).post(f"/api/training/adapters/{first.pk}/merge")
    assert merged.status_code == 200, merged.content
    assert f"w{owner.workspace.pk}" in Path(merged.json()["path"]).parts
    assert f"w{owner.workspace.pk}" in exports[0].parts


_PARTS = ["..", ".", "", "a", "b", "weft.sqlite3", "weft.sqlite3-wal", "weft.sqlite3-shm", "/"]


@given(st.sampled_from(["", "a"]), st.lists(st.sampled_from(_PARTS), max_size=7).map("/".join))
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_resolve_inside_returns_only_paths_strictly_inside_the_root(
    settings: Any, folder: str, name: str
) -> None:
    from kernel.paths import UnsafePathError, database_files, resolve_inside

    data = Path(settings.DATA_DIR)
    root = data / folder  # the data folder itself holds the database
    root.mkdir(parents=True, exist_ok=True)
    try:
        found = resolve_inside(root, name, field="f")
    except UnsafePathError:
        return
    assert found.is_relative_to(root.resolve())
    assert found != root.resolve()
    assert found not in database_files()


def test_shown_makes_paths_under_the_data_folder_relative(settings: Any, tmp_path: Path) -> None:
    from kernel.paths import shown

    settings.DATA_DIR = tmp_path / "data"
    root = str(settings.DATA_DIR)
    value = {
        "path": f"{root}/training/adapters/w3/bot",
        "notes": [f"saved to {root}.", f"{root}.old and {root}x are other folders"],
        "n": 3,
    }
    assert shown(value) == {
        "path": "training/adapters/w3/bot",
        "notes": ["saved to ..", f"{root}.old and {root}x are other folders"],
        "n": 3,
    }
    assert shown(root) == "."


def test_an_older_jobs_reward_adapter_folder_shows_relative_and_copies_to_a_new_job(
    owner: Any, client_for: Any, settings: Any
) -> None:
    from tests.training import _lora
    from training.models import TrainJob

    folder = Path(settings.DATA_DIR) / "training" / "adapters" / f"w{owner.workspace.pk}" / "rm"
    _lora.register(owner.workspace, "rm", folder)
    client = client_for(owner)
    dataset_id = _dataset(client)
    older = _job(client, dataset_id, stage="ppo", settings={"ppo": {"reward_adapter": "rm"}})
    TrainJob.objects.filter(pk=older.json()["id"]).update(
        settings={"ppo": {"reward_adapter": str(folder)}}  # as jobs stored it before names
    )
    shown = client.get(f"/api/training/jobs/{older.json()['id']}").json()["settings"]
    assert shown == {"ppo": {"reward_adapter": f"training/adapters/w{owner.workspace.pk}/rm"}}
    again = _job(client, dataset_id, stage="ppo", name="again", settings=shown)
    assert again.status_code == 201, again.content
