"""Registered adapters are models: the picker lists them, LLM nodes run them (loaded on demand
into the embedded engine or through vLLM's adapter endpoint), batched output equals solo."""

from __future__ import annotations

import asyncio
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from kernel.chat_models import get_embedded_model
from kernel.model_sources import WorkspaceModels
from runtime.errors import ModelNotFoundError
from runtime.llm.protocol import ChatMessage, ChatRequest, TextDelta
from tests.training import _lora

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "Write a haiku about rain."


@pytest.fixture(scope="session")
def loras(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real random LoRA adapters for the embedded model."""
    return _lora.loras(tmp_path_factory.mktemp("loras"))


def _engine() -> Any:
    return get_embedded_model().load()  # type: ignore[attr-defined]  # the in-process engine


async def _answer(model: Any, name: str, text: str = PROMPT) -> str:
    request = ChatRequest(
        model=name, messages=(ChatMessage("user", text),), temperature=0, max_tokens=20
    )
    return "".join([c.text async for c in model.stream(request) if isinstance(c, TextDelta)])


def test_providers_list_adapters_under_their_base(
    owner: Any, make_member: Any, client_for: Any, loras: dict[str, Path], settings: Any
) -> None:
    settings.VLLM_BASE_URL = "http://127.0.0.1:9/v1"
    _lora.register(owner.workspace, "support-bot", loras["a"])
    _lora.register(owner.workspace, "sql-helper", loras["b"], base_model="/models/llama-3-8b")
    _lora.register(make_member("owner").workspace, "not-mine", loras["a"])
    providers = {p["name"]: p for p in client_for(owner).get("/api/providers").json()}
    embedded, vllm = providers["embedded"], providers["vllm"]
    assert embedded["models"] == ["smollm2-135m-instruct", "support-bot"]
    assert embedded["labels"] == {"support-bot": "smollm2-135m-instruct + support-bot"}
    assert vllm["models"] == ["sql-helper", "support-bot"]
    assert vllm["labels"]["sql-helper"] == "llama-3-8b + sql-helper"


def test_llm_node_runs_with_adapter_model_through_embedded_engine(
    owner: Any, make_app: Any, client_for: Any, loras: dict[str, Path]
) -> None:
    adapter = _lora.register(owner.workspace, "support-bot", loras["a"])
    tuned, _ = make_app(owner, spec=_lora.llm_spec("support-bot"), slug="tuned")
    base, _ = make_app(owner, spec=_lora.llm_spec(""), slug="base")
    client = client_for(owner)
    answers = {}
    for app in (tuned, base):
        run = client.post(f"/api/apps/{app.pk}/runs", {"query": PROMPT}, "application/json")
        assert run.status_code == 200, run.content
        assert run.json()["status"] == "succeeded", run.json()
        answers[app.slug] = run.json()["answer"]
    assert answers["tuned"]
    assert answers["tuned"] != answers["base"]  # the adapter's random weights change the text
    assert _engine().adapters[adapter.served_name] == str(loras["a"])


async def test_embedded_batch_with_adapters_equals_solo(owner: Any, loras: dict[str, Path]) -> None:
    await sync_to_async(_lora.register)(owner.workspace, "a", loras["a"])
    await sync_to_async(_lora.register)(owner.workspace, "b", loras["b"])
    resolver = await sync_to_async(WorkspaceModels.for_workspace)(owner.workspace_id)
    model = resolver.get("embedded")
    names = ["", "a", "b", "a", ""]
    solo = {name: await _answer(model, name) for name in set(names)}
    assert len(set(solo.values())) == 3  # base and both adapters answer differently
    batched = await asyncio.gather(*(_answer(model, name) for name in names))
    assert batched == [solo[name] for name in names]


async def test_adapter_loads_through_vllm_endpoint_and_again_after_a_restart(
    owner: Any, loras: dict[str, Path], settings: Any
) -> None:
    from runtime.llm.server import create_app
    from tests.llm._http import serve
    from training.management.commands.serve_model import adapter_paths

    adapter = await sync_to_async(_lora.register)(owner.workspace, "support-bot", loras["b"])
    engine = _engine()
    app = create_app(get_embedded_model(), "smol", adapter_paths(loras["b"].parent))
    with serve(app) as url:
        settings.VLLM_BASE_URL = url
        resolver = await sync_to_async(WorkspaceModels.for_workspace)(owner.workspace_id)
        first = await _answer(resolver.get("vllm"), "support-bot")
        assert engine.adapters[adapter.served_name] == str(loras["b"])
        await engine.unload_adapter(adapter.served_name)  # the server forgets it, as on restart
        again = await _answer(resolver.get("vllm"), "support-bot")
    assert first == again
    assert first == await _answer(engine, adapter.served_name)


def test_engine_replaces_an_adapter_loaded_again_from_another_folder(
    loras: dict[str, Path],
) -> None:
    engine = _engine()
    asyncio.run(engine.load_adapter("swap", loras["a"]))
    with_a = asyncio.run(_answer(engine, "swap"))
    asyncio.run(engine.load_adapter("swap", loras["a"]))  # same folder: nothing to do
    asyncio.run(engine.load_adapter("swap", loras["b"]))
    assert engine.adapters["swap"] == str(loras["b"])
    with_b = asyncio.run(_answer(engine, "swap"))
    asyncio.run(engine.unload_adapter("swap"))
    assert with_a != with_b


def test_vllm_command_prints_serve_line_per_base(
    owner: Any, loras: dict[str, Path], settings: Any
) -> None:
    settings.WEFT_EMBEDDED_MODEL = ""
    a = _lora.register(owner.workspace, "support-bot", loras["a"])
    b = _lora.register(owner.workspace, "sql-helper", loras["b"], base_model="/models/llama")
    out = StringIO()
    call_command("vllm_command", owner.workspace.slug, stdout=out)
    lines = out.getvalue().splitlines()
    embedded_dir = Path(settings.WEFT_MODELS_DIR) / "smollm2-135m-instruct"
    assert lines == [
        "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True vllm serve /models/llama --enable-lora "
        f"--max-lora-rank 8 --max-loras 1 --lora-modules {b.served_name}={loras['b']}",
        f"VLLM_ALLOW_RUNTIME_LORA_UPDATING=True vllm serve {embedded_dir} --enable-lora "
        f"--max-lora-rank 8 --max-loras 1 --lora-modules {a.served_name}={loras['a']}",
    ]


def test_llm_node_cannot_run_another_workspaces_adapter(
    owner: Any, make_member: Any, make_app: Any, client_for: Any, loras: dict[str, Path]
) -> None:
    theirs = _lora.register(owner.workspace, "secret-bot", loras["a"])
    mine = WorkspaceModels.for_workspace(owner.workspace_id).get("embedded")
    assert asyncio.run(_answer(mine, "secret-bot"))  # loaded into the shared engine
    other = make_member("owner")
    app, _ = make_app(other, spec=_lora.llm_spec(theirs.served_name), slug="thief")
    run = client_for(other).post(f"/api/apps/{app.pk}/runs", {"query": PROMPT}, "application/json")
    assert run.json()["status"] == "failed", run.json()
    resolver = WorkspaceModels.for_workspace(other.workspace_id).get("embedded")
    with pytest.raises(ModelNotFoundError):
        asyncio.run(_answer(resolver, theirs.served_name))
    with pytest.raises(ModelNotFoundError) as refused:
        asyncio.run(_answer(resolver, "no-such-model"))
    assert "secret-bot" not in str(refused.value)  # the error lists no other workspace's adapter
    listed = asyncio.run(resolver.list_models())
    assert theirs.served_name not in [m.id for m in listed]


def test_workspace_provider_row_cannot_name_another_workspaces_adapter(
    owner: Any, make_member: Any
) -> None:
    from builder.models import ModelProvider

    theirs = _lora.register(owner.workspace, "secret-bot", Path("/nowhere"))
    other = make_member("owner")
    ModelProvider.objects.create(
        workspace=other.workspace,
        name="mine",
        kind="openai_compatible",
        base_url="http://127.0.0.1:9/v1",  # the shared server, were an admin to allow it
    )
    client = WorkspaceModels.for_workspace(other.workspace_id).get("mine")
    with pytest.raises(ModelNotFoundError, match="not an adapter of this workspace"):
        asyncio.run(_answer(client, theirs.served_name))
