"""Random edits of every node type's config, saved, validated and loaded: never a 5xx (finding 14).

The values come from the node type catalog's JSON Schemas (what the editor's forms are built
from), half the time as the schema allows and half the time anything JSON, the way a half-done
edit, an older editor or a hand-made request leaves them.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from runtime.nodes.registry import catalog

pytestmark = [pytest.mark.django_db, pytest.mark.services]

NODE_IDS = {
    "start": "start",
    "llm": "llm",
    "template": "tpl",
    "if_else": "cond",
    "variable_aggregator": "agg",
    "answer": "answer",
    "end": "end",
}
WORDS = ["start", "llm", "tpl", "cond", "agg", "sys", "env", "query", "text", "output", "", "x"]
TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["{{#llm.text#}}", "{{#sys.query#}}", "{{#nope.x#}}", "{{ q }}", "{{#"]),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return defs[ref.rsplit("/", 1)[-1]] if isinstance(ref, str) else schema


def from_schema(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    """A strategy for values a (pydantic-made) JSON Schema allows, or nearly allows."""
    s = _resolve(schema, defs)
    if "enum" in s:
        return st.sampled_from(s["enum"])
    if "anyOf" in s:
        return st.one_of([from_schema(alt, defs, depth) for alt in s["anyOf"]])
    kind = s.get("type")
    if s.get("widget") == "selector":  # [] is what "+ Add variable" stores
        return st.just([]) | st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)
    if kind == "object" and depth < 4:
        props = s.get("properties", {})
        return st.fixed_dictionaries(
            {},
            optional={name: value_for(p, defs, depth + 1) for name, p in props.items()},
        )
    if kind == "array" and depth < 4:
        return st.lists(value_for(s.get("items", {}), defs, depth + 1), max_size=3)
    if kind == "string":
        pattern = s.get("pattern")
        return TEXT | st.from_regex(pattern, fullmatch=True) if pattern else TEXT
    if kind == "integer":
        return st.integers(s.get("minimum", -3), s.get("maximum", 40_000))
    if kind == "number":
        return st.floats(s.get("minimum", -3), s.get("maximum", 3), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    return JSON


def value_for(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    """Mostly what the schema allows, sometimes anything."""
    return st.one_of(from_schema(schema, defs, depth), from_schema(schema, defs, depth), JSON)


def base_spec() -> dict[str, Any]:
    """One node of every type in a chain (the end node is out of place in a chat app: an
    issue, which is fine here)."""
    ids = list(NODE_IDS.values())
    return {
        "mode": "chat",
        "nodes": [{"id": NODE_IDS[t], "type": t, "config": {}} for t in NODE_IDS],
        "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(ids)],
    }


@st.composite
def edited_specs(draw: st.DrawFn) -> dict[str, Any]:
    """The base spec with a random config on every node, random run settings on one, and a
    few extra edges (from any handle, cycles included)."""
    spec = base_spec()
    entries = {entry["type"]: entry for entry in catalog()}
    for node in spec["nodes"]:
        schema = entries[node["type"]]["config_schema"]
        node["config"] = draw(from_schema(schema, schema.get("$defs", {})))
    node = draw(st.sampled_from(spec["nodes"]))
    settings_schema = entries[node["type"]]["settings_schema"]
    fail_branch = {"error_strategy": "fail_branch"}  # a fail-branch handle and outputs
    node["settings"] = draw(
        st.just(fail_branch) | from_schema(settings_schema, settings_schema.get("$defs", {}))
    )
    ids = st.sampled_from(list(NODE_IDS.values()))
    handles = st.sampled_from(["source", "fail-branch", "false", "case_1", "true"])
    extra = st.fixed_dictionaries({"source": ids, "target": ids, "sourceHandle": handles})
    spec["edges"] += draw(st.lists(extra, max_size=2))
    return spec


def incident_spec() -> dict[str, Any]:
    """The audit's case: an aggregator entry added with "+ Add variable", not chosen yet."""
    spec = base_spec()
    spec["nodes"][4]["config"] = {"variables": [["tpl", "output"], []]}
    return spec


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=edited_specs())
@example(spec=incident_spec())
def test_draft_random_config_edits_never_answer_5xx(
    owner: Any, make_app: Any, client_for: Any, spec: dict[str, Any]
) -> None:
    from builder.models import Workflow

    app = owner.workspace.apps.first() or make_app(owner, publish=False)[0]
    client = client_for(owner)
    url = f"/api/apps/{app.pk}"
    revision = Workflow.objects.get(app=app).revision
    saved = client.put(f"{url}/draft", {"spec": spec, "revision": revision}, "application/json")
    assert saved.status_code in (200, 422), saved.content  # never 5xx, never a 409
    if saved.status_code == 422:  # only a malformed spec, e.g. run settings out of range, or
        # on PostgreSQL a text it cannot store (a NUL character): invalid_param
        assert saved.json()["code"] in ("invalid_spec", "invalid_param"), saved.content
    checked = client.post(f"{url}/validate", {"spec": spec}, "application/json")
    assert checked.status_code in (200, 422), checked.content
    loaded = client.get(f"{url}/draft")
    assert loaded.status_code == 200, loaded.content
    codes = {i["code"] for i in loaded.json()["issues"]}
    assert "invalid_spec" not in codes  # what a saved spec that a check fails on turns into
    if saved.status_code == 200:
        assert loaded.json()["revision"] == saved.json()["revision"] == revision + 1
