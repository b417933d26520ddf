"""Consolidation (RegMean of the adapter towards the base on general inputs): the solve on a toy
layer whose general and new inputs lie in separate subspaces, the Gram matrices on the real
SmolLM2, and a job that consolidates its adapter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.training.conftest import alpaca_rows, events, make_job
from training.stages._consolidate import Grams, consolidate, decoder_linears
from training.trainer import run_job

GENERAL_IDS = [0, 1, 2]  # embedded in dimensions 0-2
NEW_IDS = [3, 4, 5]  # embedded in dimensions 3-5
PAD = 6  # embedded in dimensions 3-5 too: counted, it would spoil the general side


class Toy(torch.nn.Module):
    """A decoder of one linear layer over fixed embeddings."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(7, 6)
        with torch.no_grad():
            self.embed.weight.copy_(torch.randn(7, 6))
            self.embed.weight[GENERAL_IDS, 3:] = 0
            self.embed.weight[[*NEW_IDS, PAD], :3] = 0
        self.proj = torch.nn.Linear(6, 4)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        out: torch.Tensor = self.proj(self.embed(input_ids))
        return out


def toy_lora() -> tuple[Toy, Any]:
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)
    toy = Toy()
    config = LoraConfig(r=2, lora_alpha=4, target_modules=["proj"], init_lora_weights=False)
    return toy, get_peft_model(toy, config)


def _proj(toy: Toy) -> torch.nn.Linear:
    """The toy's linear layer under its LoRA wrapper (peft puts the wrapper in its place)."""
    layer = toy.proj.base_layer
    assert isinstance(layer, torch.nn.Linear)
    return layer


def test_consolidate_keeps_the_change_on_new_inputs_and_undoes_it_on_general_ones() -> None:
    toy, model = toy_lora()
    general_ids = torch.tensor([[0, 1, 2, PAD, PAD], [2, 1, 0, 1, PAD]])
    general_mask = (general_ids != PAD).long()
    new_ids = torch.tensor([[3, 4, 5, 4, 3]])
    with torch.no_grad(), model.disable_adapter():
        base_general = model(general_ids, general_mask)
    with torch.no_grad():
        tuned_new = model(new_ids)
        assert not torch.allclose(model(general_ids, general_mask), base_general, atol=1e-3)
    general, tuned = Grams([_proj(toy)]), Grams([_proj(toy)])
    with torch.no_grad():
        with general.collecting(toy), model.disable_adapter():
            model(input_ids=general_ids, attention_mask=general_mask)
        with tuned.collecting(toy):
            model(input_ids=new_ids)
    assert (general.tokens, tuned.tokens) == (7, 5)  # padding left out

    assert consolidate(model, general, tuned, weight=12.0) == 1
    with torch.no_grad():
        real = general_mask.bool()
        assert torch.allclose(model(general_ids, general_mask)[real], base_general[real], atol=1e-5)
        assert torch.allclose(model(new_ids), tuned_new, atol=1e-5)


def test_consolidate_weight_trades_the_change_off_where_inputs_overlap() -> None:
    """On inputs both sides share, a larger weight keeps more of the adapter's change."""
    toy, model = toy_lora()
    ids = torch.tensor([[0, 3, 1, 4]])  # both subspaces on each side
    with torch.no_grad(), model.disable_adapter():
        base = model(ids)
    with torch.no_grad():
        tuned = model(ids)
    general, new = Grams([_proj(toy)]), Grams([_proj(toy)])
    with torch.no_grad():
        with general.collecting(toy), model.disable_adapter():
            model(input_ids=ids)
        with new.collecting(toy):
            model(input_ids=ids)
    a = model.base_model.model.proj.lora_A["default"].weight
    original = a.detach().clone()
    kept = []
    for weight in (1.0, 9.0):
        with torch.no_grad():
            a.copy_(original)
        consolidate(model, general, new, weight)
        with torch.no_grad():
            kept.append(float((model(ids) - base).norm() / (tuned - base).norm()))
    assert kept[0] == pytest.approx(0.5, abs=1e-4)  # λ/(1+λ) when both sides see the same
    assert kept[1] == pytest.approx(0.9, abs=1e-4)


def test_grams_share_one_matrix_per_input_and_skip_padding(base_model: Path) -> None:
    from transformers import AutoModelForCausalLM

    model: Any = AutoModelForCausalLM.from_pretrained(str(base_model), dtype=torch.float32)
    layer = model.model.layers[3]
    ids = torch.tensor([[1, 2, 3, 4, 5], [6, 7, 8, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    seen: list[torch.Tensor] = []
    hook = layer.self_attn.q_proj.register_forward_pre_hook(lambda m, a: seen.append(a[0]))
    grams = Grams(decoder_linears(model))
    with torch.no_grad(), grams.collecting(model.model):
        model(input_ids=ids, attention_mask=mask)
    hook.remove()
    assert grams.tokens == 8
    assert len(grams.sums) == 4 * len(model.model.layers)  # q/k/v and gate/up share theirs
    x = seen[0].reshape(-1, seen[0].shape[-1])[mask.reshape(-1).bool()].double()
    expected = x.T @ x / 8
    expected = 0.9 * expected + 0.1 * torch.diag(torch.diag(expected))
    for module in (layer.self_attn.q_proj, layer.self_attn.v_proj):
        found = grams.mean(module)
        assert found is not None
        assert torch.allclose(found, expected, rtol=1e-4, atol=1e-6)
    assert grams.mean(layer.mlp.down_proj) is not None
    assert grams.mean(layer.mlp.down_proj).shape == (1536, 1536)  # type: ignore[union-attr]  # checked above


@pytest.mark.usefixtures("fake_hooks")
def test_sft_job_with_replay_consolidates_its_adapter(tmp_path: Path, base_model: Path) -> None:
    config = make_job(tmp_path / "on", base_model, alpaca_rows(8), keep_general=True)
    assert run_job(config, echo=False) == 0
    done = events(config)[-1]
    assert done["event"] == "done"
    assert done["metrics"]["consolidated_layers"] == 30 * 7  # every LoRA Linear of SmolLM2
    meta = json.loads((config.output_dir / "adapter" / "weft_adapter.json").read_text())
    assert meta["metrics"]["consolidated_layers"] == 30 * 7
    notes = [e["message"] for e in events(config) if e["event"] == "note"]
    assert any("consolidating" in n for n in notes)

    off = make_job(tmp_path / "off", base_model, alpaca_rows(8), keep_general=True, consolidate=0)
    assert run_job(off, echo=False) == 0
    assert "consolidated_layers" not in events(off)[-1]["metrics"]
    from safetensors.torch import load_file

    a_on = load_file(config.output_dir / "adapter" / "adapter_model.safetensors")
    a_off = load_file(off.output_dir / "adapter" / "adapter_model.safetensors")
    moved = [k for k in a_on if "lora_A" in k and not torch.equal(a_on[k], a_off[k])]
    same_b = all(torch.equal(a_on[k], a_off[k]) for k in a_on if "lora_B" in k)
    assert moved
    assert same_b
