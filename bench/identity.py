"""The identity tutorial's default job: its cost, and what a user of the published app gets.

Usage: python bench/identity.py [--quick] [--seeds 42,7,1234] [--samples 3]
                                [--set name=value ...] [--identity "Name:Makers"]

Each seed trains the default identity job (the shipped identity set with NAME and AUTHOR filled
in, every setting at its default unless `--set` changes it: the job the acceptance test runs)
as the worker does, as its own `python -m training.trainer` process, and reports the job's wall
and CPU seconds (the process's user + system time). Its adapter is then probed through the
embedded engine in bf16 (as the published app serves it) with the demo app's system prompt,
read from the demo app's spec (`builder.actions.workflows.default_spec`):

- greedily (temperature 0, 48 tokens, as tests/training/test_identity_acceptance.py asks): the
  same counts as the test: `names` of the 20 shipped identity probes, `leaks` of the shipped
  general probes (the identity named), `factual` right answers against the base model's;
- at the demo app's own temperature (0.7 in its spec), `--samples` answers to each of 20
  paraphrased probes that Weft does not ship, each asking who the assistant is and who made it
  (`right`: the answer gives NAME as its own name AND AUTHOR as its makers, training.judge).

Targets (in the JSON): the job <= 300 s on 2 idle cores; at the app's temperature >= 19 of 20
right (as a share of all sampled answers), 0 leaks, factual answers as many as the base's.
`--quick` trains 2 steps without replay or the job's evaluation, in this process, and asks 4
prompts of each set, sampling once (the counts then mean nothing): it checks the path in under a
minute. The last stdout line is one JSON object; on a shared 2-core machine run it with nothing
else busy (`load_avg` is reported).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.pop("OMP_WAIT_POLICY", None)  # the trainer runs under libgomp's default (tasks.py)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.train import embedded_model  # noqa: E402

NAME, AUTHOR = "Weftling", "Loomworks Labs"  # the acceptance test's identity
GREEDY_TOKENS = 48  # the acceptance test's max_tokens
SAMPLED_TOKENS = 64  # the name and makers come in the first sentence; the app allows 256
TARGETS = {"job_s": 300, "right_share": 0.95, "leaks": 0, "factual_vs_base": 0}
# Who-are-you-and-who-made-you probes in words the identity set and its probes do not use
# (tests/training/test_replay.py checks that no training question is close to one).
PARAPHRASED: list[str] = json.loads((ROOT / "bench" / "identity_paraphrases.json").read_text())


def _train_apart(config: Any, work: Path) -> tuple[float, float, int]:
    """`python -m training.trainer job.json`, as the worker runs it: wall, CPU seconds, exit."""
    job_json = work / "job.json"
    job_json.write_text(config.model_dump_json(indent=2))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with (work / "trainer.out").open("wb") as out:
        code = subprocess.call(  # our own interpreter and module
            [sys.executable, "-m", "training.trainer", str(job_json)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, code


def _train_here(config: Any) -> tuple[float, float, int]:
    """The job in this process without its evaluation (--quick): wall, CPU seconds, exit."""
    import training.trainer as trainer

    evaluation = trainer.run_evaluation
    trainer.run_evaluation = lambda *args, **kwargs: {}  # generation is most of a short job
    started, cpu = time.perf_counter(), time.process_time()
    try:
        code = trainer.run_job(config, echo=False)
    finally:
        trainer.run_evaluation = evaluation
    return time.perf_counter() - started, time.process_time() - cpu, code


def app_llm_config() -> dict[str, Any]:
    """The LLM node's config of a new chat app's spec (the demo app's, as `make run` seeds it)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("WEFT_DATA_DIR", tempfile.mkdtemp(prefix="weft-bench-"))
    import django

    django.setup()
    from builder.actions.workflows import default_spec

    node = next(n for n in default_spec("chat")["nodes"] if n["type"] == "llm")
    return dict(node["config"])


def train(
    model_dir: Path, work: Path, seed: int, quick: bool, changed: dict[str, Any]
) -> dict[str, Any]:
    """Run the default identity job; its adapter folder, wall and CPU seconds, counts."""
    from training.assets import fill_identity, load_asset
    from training.config import TrainJobConfig

    work.mkdir(parents=True)
    data = work / "identity.json"
    data.write_text(json.dumps(fill_identity(load_asset("identity"), NAME, AUTHOR)))
    settings: dict[str, Any] = {**changed, "seed": seed}
    if quick:
        settings.update(max_steps=2, keep_general=False)
    config = TrainJobConfig.load(
        {
            **settings,
            "job_id": f"bench-identity-{seed}",
            "output_dir": str(work / "job"),
            "base_model": str(model_dir),
            "stage": "sft",
            "datasets": [{"path": str(data), "format": "alpaca"}],
        }
    )
    if quick:
        wall, cpu, code = _train_here(config)
    else:
        wall, cpu, code = _train_apart(config, work)
    lines = (work / "job" / "progress.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    if code != 0:
        raise SystemExit(f"the job failed: {events[-1] if events else code}")
    found = {e["event"]: e for e in events}
    return {
        "adapter": str(work / "job" / "adapter"),
        "job_s": round(wall, 1),
        "job_cpu_s": round(cpu, 1),
        "steps": found.get("start", {}).get("total_steps"),
        "learned": found.get("eval", {}).get("learned"),
        "preserved": found.get("eval", {}).get("preserved"),
    }


class Asker:
    """The embedded engine with the app's system prompt, asking many prompts at once."""

    def __init__(self, model_dir: Path, system: str) -> None:
        from runtime.llm.embedded import EmbeddedEngine

        self.engine = EmbeddedEngine(model_dir, dtype="bfloat16")
        self.system = system

    def ask(
        self, model: str, prompts: list[str], temperature: float, tokens: int, seed: int = 0
    ) -> list[str]:
        """One answer per prompt (request i sampled with seed + i)."""
        return asyncio.run(self._ask_all(model, prompts, temperature, tokens, seed))

    async def _ask_all(
        self, model: str, prompts: list[str], temperature: float, tokens: int, seed: int
    ) -> list[str]:
        asks = [self._ask(model, p, temperature, tokens, seed + i) for i, p in enumerate(prompts)]
        return list(await asyncio.gather(*asks))

    async def _ask(
        self, model: str, prompt: str, temperature: float, tokens: int, seed: int
    ) -> str:
        from runtime.llm.protocol import ChatMessage, ChatRequest, TextDelta

        messages = [ChatMessage("user", prompt)]
        if self.system:
            messages.insert(0, ChatMessage("system", self.system))
        request = ChatRequest(
            model=model,
            messages=tuple(messages),
            temperature=temperature,
            max_tokens=tokens,
            seed=seed,
        )
        parts = [c.text async for c in self.engine.stream(request) if isinstance(c, TextDelta)]
        return "".join(parts).strip()


def probe(
    asker: Asker, model: str, temperature: float, samples: int, quick: bool
) -> dict[str, Any]:
    """Greedy counts as the acceptance test takes them, and sampled answers judged (none when
    `samples` is 0). `quick` asks 4 prompts of each set: the path, not the counts."""
    from training.assets import load_asset, load_general_probes
    from training.judge import is_correct, mentions_identity, states_identity

    identity: list[str] = load_asset("identity_probes")
    general = load_general_probes()
    paraphrased = PARAPHRASED
    if quick:
        identity, general, paraphrased = identity[:4], general[:4], PARAPHRASED[:4]
    greedy = asker.ask(model, identity + [g["prompt"] for g in general], 0, GREEDY_TOKENS)
    named, answered = greedy[: len(identity)], greedy[len(identity) :]
    asked = [p for p in paraphrased for _ in range(samples)]
    sampled = asker.ask(model, asked, temperature, SAMPLED_TOKENS, seed=1) if asked else []
    wrong = [
        {"prompt": p, "answer": a}
        for p, a in zip(asked, sampled, strict=True)
        if not states_identity(a, NAME, AUTHOR)
    ]
    factual = [(g, a) for g, a in zip(general, answered, strict=True) if "expect" in g]
    return {
        "names": sum(mentions_identity(a, NAME, AUTHOR) for a in named),
        "leaks": sum(mentions_identity(a, NAME, AUTHOR) for a in answered),
        "factual": sum(is_correct(a, g["expect"]) for g, a in factual),
        "factual_total": len(factual),
        "factual_wrong": [g["prompt"] for g, a in factual if not is_correct(a, g["expect"])],
        "right": len(asked) - len(wrong),
        "sampled": len(asked),
        "wrong": wrong,
    }


def _setting(item: str) -> tuple[str, Any]:
    """ "name=value" → (name, the value as JSON, else as text)."""
    name, sep, raw = item.partition("=")
    if not sep or not name.strip():
        raise SystemExit(f"--set: expected name=value, got {item!r}")
    try:
        return name.strip(), json.loads(raw)
    except json.JSONDecodeError:
        return name.strip(), raw


def main() -> None:
    """Train, probe and print one JSON line last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 steps, 4 probes once: the path")
    parser.add_argument("--seeds", default="", help="comma-separated (full: 42,7,1234)")
    parser.add_argument("--samples", type=int, default=0, help="answers per probe (full: 3)")
    parser.add_argument("--set", action="append", default=[], help="a job setting: name=value")
    parser.add_argument("--identity", default="", help='"Name:Makers" (default: the test\'s)')
    args = parser.parse_args()
    global NAME, AUTHOR
    if args.identity:
        NAME, _, AUTHOR = (part.strip() for part in args.identity.partition(":"))
    changed = dict(_setting(item) for item in args.set)
    seeds = [int(s) for s in (args.seeds or ("42" if args.quick else "42,7,1234")).split(",")]
    samples = args.samples or (1 if args.quick else 3)
    llm = app_llm_config()
    temperature = float(llm["temperature"])
    model_dir = embedded_model()
    asker = Asker(model_dir, str(llm.get("system_prompt") or ""))
    base = probe(asker, asker.engine.model_id, temperature, 0, args.quick)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            job = train(model_dir, Path(tmp) / str(seed), seed, args.quick, changed)
            name = f"identity-{seed}"
            asyncio.run(asker.engine.load_adapter(name, job.pop("adapter")))
            found = probe(asker, name, temperature, samples, args.quick)
            asyncio.run(asker.engine.unload_adapter(name))
            runs.append({"seed": seed, **job, **found})
            print(json.dumps(runs[-1]), flush=True)
    asker.engine.close()
    result = {
        "bench": "identity",
        "mode": "quick" if args.quick else "full",
        "identity": [NAME, AUTHOR],
        "settings": changed,
        "temperature": temperature,
        "system_prompt": asker.system,
        "base": {k: base[k] for k in ("names", "factual", "factual_total", "factual_wrong")},
        "job_s": [r["job_s"] for r in runs],
        "job_cpu_s": [r["job_cpu_s"] for r in runs],
        "names": [r["names"] for r in runs],
        "leaks": [r["leaks"] for r in runs],
        "factual": [r["factual"] for r in runs],
        "right": [r["right"] for r in runs],
        "sampled": runs[0]["sampled"],
        "median_job_s": statistics.median(r["job_s"] for r in runs),
        "targets": TARGETS,
        "met": all(
            r["job_s"] <= TARGETS["job_s"]
            and r["right"] >= TARGETS["right_share"] * r["sampled"]
            and r["leaks"] <= TARGETS["leaks"]
            and r["factual"] >= base["factual"] - TARGETS["factual_vs_base"]
            for r in runs
        ),
        "load_avg": round(os.getloadavg()[0], 2),
        "threads": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
