"""LoRA SFT throughput: Weft's trainer vs a plain Hugging Face Trainer + peft (default padding).

Usage: python bench/train.py [--quick] [--model-dir DIR] [--rounds N] [--threads N]
                             [--compute fp32|bf16]
       python bench/train.py --gpu [--sizes 1.5b,8b] [--steps N] [--seq-len N]

CPU mode trains the embedded SmolLM2-135M-Instruct on the same synthetic alpaca rows (varied
lengths, as real data has: padding waste is the point) with the same settings on both sides
(LoRA r8 all-linear, lr 1e-4, batch 2, accumulation 1, fp32 unless --compute bf16): once through
`training.trainer.run_job` (packed rows attended row by row, logits only where there are
targets, LoRA added inside one GEMM) and once through `transformers.Trainer` with
`DataCollatorForSeq2Seq` padding each batch to its longest row (LLaMA-Factory's path). Both count
the real (non-padding) tokens of the steady-state steps (the first two are warm-up) and divide by
the wall time between the ends of those steps (`ratio`; target >= 1.3), and by the CPU time of
the process over the same steps (`cpu_time_ratio`, steadier when neighbours share the cores;
`--threads 1` steadier still).

GPU mode (needs CUDA) builds Llama-shaped models with random weights from a config (about 1.5B
and 8B parameters), runs a few LoRA SFT steps of Weft's loss on packed random rows in bf16, and
reports tokens/s and MFU = 6 * params * tokens/s / peak (H200 dense bf16 peak 989 TFLOP/s); LoRA
skips the frozen weights' gradients, so `mfu_lora` also counts 4 * params per token.

The last stdout line is one JSON object. On a shared 2-core machine run with nothing else busy,
or the numbers mostly measure the neighbours (`load_avg` is reported).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Both sides run under the trainer's OpenMP policy (training.tasks.trainer_env: libgomp's default)
os.environ.pop("OMP_WAIT_POLICY", None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

H200_BF16_PEAK = 989e12
_TEXT = [
    "the of and to in is was for on that with as by at from this be are or an it not which have",
    "one all were when we there can been has more their if will would about into than them some",
    "could time these two may then do first any my now such like our over man me even most made",
    "after also did many before must through back years where much your way well down should",
    "because each just those people how too little state good very make world still own see men",
    "work long get here between both life being under never day same another know while last",
]
WORDS = " ".join(_TEXT).split()
# name: (hidden, intermediate, layers, heads, kv_heads, vocab, tied embeddings) of Llama shapes
SHAPES = {
    "1.5b": (1536, 8960, 28, 12, 2, 151936, True),  # Qwen2.5-1.5B's sizes
    "8b": (4096, 14336, 32, 32, 8, 128256, False),  # Llama-3-8B's sizes
}


def llama_params(
    hidden: int, inter: int, layers: int, heads: int, kv: int, vocab: int, tied: bool = False
) -> int:
    """Parameters of a Llama-shaped model (norms included, biases none)."""
    head_dim = hidden // heads
    attention = 2 * hidden * hidden + 2 * hidden * kv * head_dim
    per_layer = attention + 3 * hidden * inter + 2 * hidden
    embeddings = (1 if tied else 2) * vocab * hidden
    return layers * per_layer + embeddings + hidden


def mfu(params: int, tokens_per_s: float, peak_flops: float, flops_per_param: int = 6) -> float:
    """Model FLOPs utilisation: flops_per_param * params * tokens/s over the peak."""
    return flops_per_param * params * tokens_per_s / peak_flops


def synthetic_rows(n: int, seed: int) -> list[dict[str, str]]:
    """Alpaca rows with log-normal instruction and answer lengths (5 to 300 words)."""
    rng = random.Random(seed)  # bench data, not security

    def text(mean_words: float) -> str:
        count = int(min(300, max(5, rng.lognormvariate(0, 0.8) * mean_words)))
        return " ".join(rng.choice(WORDS) for _ in range(count)).capitalize() + "."

    return [{"instruction": text(18), "input": "", "output": text(60)} for _ in range(n)]


def _load_avg() -> float:
    return round(os.getloadavg()[0], 2)


class _StepClock(io.StringIO):
    """An echo stream noting wall and CPU time whenever a step event is written."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[float, float, int]] = []  # (wall, cpu, tokens) per step

    def write(self, text: str) -> int:
        if '"event": "step"' in text:
            tokens = json.loads(text)["tokens"]
            self.marks.append((time.perf_counter(), time.process_time(), tokens))
        return len(text)


def _rates(marks: list[tuple[float, float, int]], warm: int = 2) -> dict[str, float]:
    """Steady-state tokens per wall second and per CPU second after `warm` steps."""
    tokens = sum(m[2] for m in marks[warm:])
    wall = marks[-1][0] - marks[warm - 1][0]
    cpu = marks[-1][1] - marks[warm - 1][1]
    return {
        "tokens_per_s": round(tokens / wall, 1),
        "tokens_per_cpu_s": round(tokens / cpu, 1),
        "tokens_per_step": round(tokens / (len(marks) - warm), 1),
    }


def weft_run(
    model_dir: Path, data: Path, work: Path, cutoff: int, steps: int, compute: str
) -> dict[str, Any]:
    """Steady-state rates of `run_job` (timed as its step events are written)."""
    import training.trainer as trainer
    from training.config import TrainJobConfig

    job = TrainJobConfig.load(
        {
            "job_id": "bench",
            "output_dir": str(work),
            "base_model": str(model_dir),
            "datasets": [{"path": str(data), "format": "alpaca"}],
            "cutoff_len": cutoff,
            "packing": True,  # 400 rows is a "small" set, which the defaults leave unpacked
            "batch_size": 2,
            "grad_accum": 1,
            "max_steps": steps,
            "val_size": 0,
            "keep_general": False,
            "compute_type": compute,
        }
    )
    evaluation = trainer.run_evaluation
    trainer.run_evaluation = lambda *args, **kwargs: {}  # the bench measures training only
    clock = _StepClock()
    try:
        code = trainer.run_job(job, echo=clock)
    finally:
        trainer.run_evaluation = evaluation
    if code != 0:
        last = (work / "progress.jsonl").read_text().splitlines()[-1]
        raise RuntimeError(f"weft run failed: {last}")
    return _rates(clock.marks)


def hf_run(
    model_dir: Path, rows: list[Any], work: Path, steps: int, compute: str
) -> dict[str, Any]:
    """Steady-state tokens/s of transformers.Trainer + peft with DataCollatorForSeq2Seq."""
    import torch
    from peft import get_peft_model
    from transformers import (
        AutoModelForCausalLM,
        DataCollatorForSeq2Seq,
        Trainer,
        TrainerCallback,
    )

    from training.config import DeviceInfo, ModelShape, TrainJobConfig
    from training.data import IGNORE, load_tokenizer

    job = TrainJobConfig.load(
        {
            "job_id": "bench-hf",
            "output_dir": str(work),
            "base_model": str(model_dir),
            "datasets": [{"path": "unused"}],
            "batch_size": 2,
            "grad_accum": 1,
            "max_steps": steps,
            "compute_type": compute,
        }
    )
    plan = job.plan(DeviceInfo(kind="cpu"), ModelShape(0, 0, 0, 0), len(rows))
    tokenizer = load_tokenizer(model_dir)
    torch.manual_seed(job.seed)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32),
        job.to_lora_config(),
    )
    dataset = [{"input_ids": r.input_ids, "labels": [IGNORE, *r.targets[:-1]]} for r in rows]
    seen: list[int] = []
    pad_seen: list[int] = []
    collate = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE)

    def counting(features: list[dict[str, Any]]) -> Any:
        batch = collate(features)
        seen.append(int(batch["attention_mask"].sum()))
        pad_seen.append(int(batch["attention_mask"].numel()))
        return batch

    marks: list[tuple[float, float, int]] = []

    class Clock(TrainerCallback):
        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            marks.append((time.perf_counter(), time.process_time(), seen[len(marks)]))

    trainer = Trainer(
        model=model,
        args=job.to_training_args(plan, work),
        train_dataset=dataset,
        data_collator=counting,
        callbacks=[Clock()],
    )
    trainer.train()
    waste = round(1 - sum(seen[:steps]) / sum(pad_seen[:steps]), 3)
    return {**_rates(marks[:steps]), "padding_waste": waste}


def cpu_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Weft vs HF Trainer on the embedded model; rounds alternate the order."""
    from training.config import DatasetRef
    from training.data import encode_sft, load_tokenizer
    from training.formats import load_dataset

    model_dir = Path(args.model_dir) if args.model_dir else embedded_model()
    cutoff, steps = (256, 6) if args.quick else (512, 16)
    rounds = args.rounds or (1 if args.quick else 2)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "rows.json"
        tokenizer = load_tokenizer(model_dir)
        rows = synthetic_rows(400, seed=0)
        data.write_text(json.dumps(rows))
        examples = load_dataset(DatasetRef(path=data))
        fits = [
            encode_sft([e], tokenizer, cutoff).rows for e in examples
        ]  # a longer row stops a job
        data.write_text(json.dumps([r for r, f in zip(rows, fits, strict=True) if f]))
        encoded = encode_sft(load_dataset(DatasetRef(path=data)), tokenizer, cutoff)
        weft: list[dict[str, Any]] = []
        hf: list[dict[str, Any]] = []
        for r in range(rounds):
            order = ("weft", "hf") if r % 2 == 0 else ("hf", "weft")
            for which in order:
                work = Path(tmp) / f"{which}-{r}"
                if which == "weft":
                    weft.append(weft_run(model_dir, data, work, cutoff, steps, args.compute))
                else:
                    hf.append(hf_run(model_dir, encoded.rows, work, steps, args.compute))
        lengths = [len(row.input_ids) for row in encoded.rows]
    weft_tps = statistics.mean(w["tokens_per_s"] for w in weft)
    hf_tps = statistics.mean(h["tokens_per_s"] for h in hf)
    weft_cpu = statistics.mean(w["tokens_per_cpu_s"] for w in weft)
    hf_cpu = statistics.mean(h["tokens_per_cpu_s"] for h in hf)
    import torch

    return {
        "bench": "train",
        "mode": "quick" if args.quick else "full",
        "model": model_dir.name,
        "cutoff_len": cutoff,
        "compute_type": args.compute,
        "batch_size": 2,
        "steps": steps,
        "rounds": rounds,
        "rows": len(lengths),
        "mean_row_tokens": round(statistics.mean(lengths), 1),
        "threads": torch.get_num_threads(),
        "weft_tokens_per_s": round(weft_tps, 1),
        "hf_tokens_per_s": round(hf_tps, 1),
        "ratio": round(weft_tps / hf_tps, 3),
        "cpu_time_ratio": round(weft_cpu / hf_cpu, 3),
        "weft_runs": weft,
        "hf_runs": hf,
        "load_avg": _load_avg(),
    }


def embedded_model() -> Path:
    from runtime.llm._convert import ensure_converted

    cache = Path(os.environ.get("WEFT_MODEL_CACHE") or Path.home() / ".cache/weft/models")
    target = Path(tempfile.gettempdir()) / "weft-bench-models"
    return ensure_converted(target, progress=lambda *_: None, cache_dir=cache.expanduser())


def gpu_model(name: str) -> tuple[Any, int]:
    """A Llama-shaped causal LM with random bf16 weights on CUDA, and its parameter count."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    hidden, inter, layers, heads, kv, vocab, tied = SHAPES[name]
    config = LlamaConfig(
        hidden_size=hidden,
        intermediate_size=inter,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv,
        vocab_size=vocab,
        max_position_embeddings=8192,
        tie_word_embeddings=tied,
        use_cache=False,
    )
    with torch.device("cuda"):
        model: Any = LlamaForCausalLM(config)
    return model.to(torch.bfloat16), llama_params(hidden, inter, layers, heads, kv, vocab, tied)


def gpu_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Tokens/s and MFU of Weft's packed LoRA SFT step on random Llama-shaped models."""
    import torch
    from peft import LoraConfig, get_peft_model

    from training.data import Encoded
    from training.stages._attention import use_packed_attention
    from training.stages._batches import packed_batches
    from training.stages.sft import sft_loss

    if not torch.cuda.is_available():
        raise SystemExit("--gpu needs a CUDA device")
    results: dict[str, Any] = {
        "bench": "train",
        "mode": "gpu",
        "device": torch.cuda.get_device_name(0),
    }
    rng = random.Random(0)  # bench data, not security
    for name in args.sizes.split(","):
        base, params = gpu_model(name)
        lora = LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", task_type="CAUSAL_LM")
        model = get_peft_model(base, lora)
        use_packed_attention(model)
        vocab = SHAPES[name][5]
        rows = []
        for _ in range(args.batch * 64):
            n = rng.randint(64, args.seq_len // 2)
            ids = [rng.randrange(vocab) for _ in range(n)]
            rows.append(Encoded(ids, [-100] * (n // 2) + ids[n // 2 + 1 :] + [-100]))
        batches = packed_batches(rows, args.seq_len, args.batch, 0, 0, 0)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        torch.cuda.reset_peak_memory_stats()
        times, counted = [], []
        for step in range(args.steps + 2):
            batch = batches.batch(step % len(batches)).to("cuda")
            torch.cuda.synchronize()
            started = time.perf_counter()
            with torch.autocast("cuda", torch.bfloat16):
                loss, _ = sft_loss(model, batch)
            torch.autograd.backward(loss / batch.weight)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            torch.cuda.synchronize()
            if step >= 2:
                times.append(time.perf_counter() - started)
                counted.append(batch.tokens)
        tps = sum(counted) / sum(times)
        results[name] = {
            "params": params,
            "tokens_per_s": round(tps, 1),
            "mfu": round(mfu(params, tps, H200_BF16_PEAK), 4),
            "mfu_lora": round(mfu(params, tps, H200_BF16_PEAK, flops_per_param=4), 4),
            "max_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 1),
        }
        del model, base, optimizer
        torch.cuda.empty_cache()
    return results


def main() -> None:
    """Run the bench and print one JSON line last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="cutoff 256, 6 steps, one round")
    parser.add_argument("--model-dir", help="a Hugging Face model folder (default: SmolLM2)")
    parser.add_argument("--rounds", type=int, default=0, help="alternating rounds per side")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: cores)")
    parser.add_argument("--compute", choices=["fp32", "bf16"], default="fp32", help="CPU runs")
    parser.add_argument("--gpu", action="store_true", help="random Llama-shaped models on CUDA")
    parser.add_argument("--sizes", default="1.5b,8b", help="GPU model sizes: 1.5b, 8b")
    parser.add_argument("--steps", type=int, default=6, help="GPU timed steps")
    parser.add_argument("--seq-len", type=int, default=2048, help="GPU packed sequence length")
    parser.add_argument("--batch", type=int, default=4, help="GPU packed sequences per step")
    args = parser.parse_args()
    if args.threads:  # both sides: the trainer reads the variable, the HF run inherits torch's
        os.environ["WEFT_TRAIN_THREADS"] = str(args.threads)
        import torch

        torch.set_num_threads(args.threads)
    result = gpu_bench(args) if args.gpu else cpu_bench(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
