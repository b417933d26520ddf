"""Validation cost per node: graph_report (what saving or loading a draft runs) on long chains.

Each chain is Start → N template nodes, each reading the previous node's output → End, so every
node has a reference to check. Validation must be linear: the µs per node of the longest chain
over that of the shortest ("ratio") stays near 1, where a quadratic analysis makes it grow with
the length. Each figure is the best of several runs, timed with Python's garbage collector on
(what a request pays) and off (the analysis alone). The last stdout line is one JSON object.
Usage: python -m bench.validate [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path
from time import perf_counter
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.shapes import graph_report
from runtime.spec import WorkflowSpec
from tests.specs import chain_spec


def time_validate(raw: dict[str, Any], collect: bool = True) -> float:
    """Seconds to parse `raw` and report on it, once (`collect=False`: with the cyclic garbage
    collector off, to time the analysis alone, without the collector's passes over the heap)."""
    gc.collect()  # each sample starts clean, not with the last one's garbage to collect
    if not collect:
        gc.disable()
    try:
        t0 = perf_counter()
        report = graph_report(WorkflowSpec.model_validate(raw))
        elapsed = perf_counter() - t0
    finally:
        gc.enable()
    if report.issues:
        raise SystemExit(f"the bench chain has issues: {report.issues[:3]}")
    return elapsed


def main() -> None:
    """Time the chains and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two sizes, few runs (< 1 minute)")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 20_000]
    runs = args.runs or (5 if args.quick else 7)
    specs = {size: chain_spec(size) for size in sizes}
    result: dict[str, Any] = {"runs": runs}
    for collect, suffix in ((True, ""), (False, "_without_gc")):
        best = dict.fromkeys(sizes, float("inf"))
        for _ in range(runs):  # sizes take turns, so a busy moment on this shared machine hits all
            for size in sizes:
                best[size] = min(best[size], time_validate(specs[size], collect))
        for size in sizes:
            us = best[size] * 1e6 / len(specs[size]["nodes"])
            result[f"us_per_node_{size}{suffix}"] = round(us, 2)
            print(f"chain of {size}{suffix.replace('_', ' ')}: {us:.2f} µs/node (best of {runs})")
        last = result[f"us_per_node_{sizes[-1]}{suffix}"]
        result[f"ratio{suffix}"] = round(last / result[f"us_per_node_1000{suffix}"], 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
