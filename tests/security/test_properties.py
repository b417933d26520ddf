"""hypothesis on the parsers that read user input: the workflow spec (parse, report, compile), the
dataset files (rows, conversion, dataset_info.json) and the variable resolver. Whatever comes
in, each returns a result or raises its module's own coded error, never anything else."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.actions.workflows import parse_spec
from kernel.errors import ApiError
from runtime.compile import compile_workflow
from runtime.errors import EngineError
from runtime.nodes.registry import catalog
from runtime.shapes import graph_report
from runtime.variables import VariablePool, extract_references, nest_values, parse_template, render
from training.config import DatasetRef
from training.errors import TrainingError
from training.formats import convert_rows, read_dataset_info, read_rows

F = TypeVar("F", bound=Callable[..., None])
PROPERTY = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
# Failures that belong to findings fixed on other branches: strict xfails, removed when fixed.
KNOWN_OPEN: dict[str, str] = {}


def known_open(name: str) -> Callable[[F], F]:
    """Mark a test a strict xfail while `name` is in KNOWN_OPEN."""

    def mark(test: F) -> F:
        reason = KNOWN_OPEN.get(name)
        return pytest.mark.xfail(strict=True, reason=reason)(test) if reason else test

    return mark


SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
IDS = st.sampled_from(["start", "a", "b", "answer", "end", "x y", ""])
TYPES = st.sampled_from([t["type"] for t in catalog()] + ["nope"])
WORDS = st.sampled_from(["template", "variables", "answer", "query", "value_selector", "sys"])
CONFIG = st.dictionaries(WORDS | st.text(max_size=6), JSON | st.lists(st.text(max_size=6)))
NODE = st.fixed_dictionaries(
    {"id": IDS, "type": TYPES, "config": CONFIG}, optional={"settings": JSON, "version": JSON}
)
EDGE = st.fixed_dictionaries(
    {"source": IDS, "target": IDS},
    optional={"sourceHandle": st.sampled_from(["source", "true", "false", "fail"]) | st.text()},
)
SPEC = st.fixed_dictionaries(
    {"mode": st.sampled_from(["chat", "workflow"]), "nodes": st.lists(NODE, max_size=5)},
    optional={"edges": st.lists(EDGE, max_size=6), "env": JSON, "schema_version": JSON},
)


@known_open("parse_spec")
@PROPERTY
@given(JSON | SPEC)
def test_parse_spec_returns_a_spec_or_a_coded_422(raw: Any) -> None:
    try:
        parse_spec(raw)
    except ApiError as err:
        error = err
    else:
        return
    assert (error.code, error.status) == ("invalid_spec", 422)


@known_open("compile")
@PROPERTY
@given(SPEC)
def test_spec_report_and_compile_raise_only_engine_errors(raw: Any) -> None:
    try:
        spec = parse_spec(raw)
    except ApiError:
        return
    graph_report(spec).to_dict()
    with contextlib.suppress(EngineError):
        compile_workflow(spec)


@contextlib.contextmanager
def _file(data: bytes, name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="weft-prop-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


TEXTS = st.text().map(str.encode) | st.binary(max_size=64)
JSON_BYTES = st.lists(JSON, max_size=4).map(lambda v: json.dumps(v).encode())


@known_open("read_rows")
@PROPERTY
@given(TEXTS | JSON_BYTES)
def test_read_rows_returns_rows_or_a_dataset_error(data: bytes) -> None:
    try:
        with _file(data, "data.json") as path:
            rows = read_rows(path)
    except TrainingError:
        return
    assert all(type(r) is dict for r in rows)


ROW_KEYS = st.sampled_from(
    [
        "instruction",
        "input",
        "output",
        "history",
        "system",
        "chosen",
        "rejected",
        "conversations",
        "messages",
        "from",
        "value",
        "role",
        "content",
    ]
)
TURN = st.dictionaries(ROW_KEYS, st.text(max_size=5) | JSON, max_size=3)
ROW = st.dictionaries(ROW_KEYS, JSON | st.text(max_size=5) | st.lists(TURN, max_size=4), max_size=5)


@known_open("convert_rows")
@PROPERTY
@given(
    st.lists(ROW, max_size=4),
    st.sampled_from(["auto", "alpaca", "sharegpt"]),
    st.sampled_from([None, True, False]),
)
def test_convert_rows_returns_examples_or_a_dataset_error(
    rows: list[dict[str, Any]], format: str, ranking: bool | None
) -> None:
    ref = DatasetRef(path=Path("data.json"), format=format, ranking=ranking)
    try:
        examples = convert_rows(rows, ref)
    except TrainingError:
        return
    assert len(examples) == len(rows)


INFO = st.dictionaries(
    st.text(max_size=6),
    st.dictionaries(
        st.sampled_from(["file_name", "formatting", "columns", "tags", "ranking", "hf_hub_url"]),
        JSON,
        max_size=4,
    ),
    max_size=3,
).map(lambda v: json.dumps(v).encode())


@known_open("read_dataset_info")
@PROPERTY
@given(INFO | TEXTS)
def test_read_dataset_info_returns_refs_or_a_dataset_error(data: bytes) -> None:
    with _file(data, "dataset_info.json") as path, contextlib.suppress(TrainingError):
        read_dataset_info(path)


REFERENCE = st.lists(st.sampled_from(["a", "b", "sys", "env", "0", "x-y"]), min_size=1, max_size=4)
TEMPLATE = st.lists(
    st.text(max_size=8)
    | REFERENCE.map(lambda s: "{{#" + ".".join(s) + "#}}")
    | st.sampled_from(["{{#", "#}}", "{{", "}}"]),
    max_size=6,
).map("".join)
POOL_VALUES = st.dictionaries(
    st.sampled_from(["a", "b", "sys", "env"]),
    st.dictionaries(st.sampled_from(["a", "b", "0", "x-y"]), JSON, max_size=3),
    max_size=4,
)


@known_open("render")
@PROPERTY
@given(TEMPLATE, POOL_VALUES)
def test_render_always_returns_text(template: str, values: dict[str, Any]) -> None:
    pool = VariablePool(sys=values.pop("sys", None), env=values.pop("env", None))
    for node_id, outputs in values.items():
        pool.set_outputs(node_id, outputs)
    text = render(template, pool)
    assert isinstance(text, str)
    if "{{#" not in template:
        assert text == template
    selectors = [s for s in parse_template(template) if isinstance(s, tuple)]
    assert set(extract_references(template)) == set(selectors)


@known_open("nest_values")
@PROPERTY
@given(st.dictionaries(st.text(max_size=10), JSON, max_size=5))
def test_nest_values_nests_or_raises_value_error(values: dict[str, Any]) -> None:
    try:
        nested = nest_values(values)
    except ValueError:
        assert any("." not in k for k in values)
        return
    assert set(nested) == {k.split(".")[0] for k in values}
