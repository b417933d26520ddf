"""Random edits of every node type's config, saved, validated and loaded: never a 5xx (finding 14).

The values come from the node type catalog's JSON Schemas (what the editor's forms are built
from), half the time as the schema allows and half the time anything JSON, the way a half-done
edit, an older editor or a hand-made request leaves them.

A second test keeps to what the editor's own forms can leave (issue 13's dead end: "+ Add
variable" once made every save and load answer 500): empty and half-filled rows, names typed
half-way, numbers cleared or out of range, any JSON in a JSON field, in configs and run settings.
Every such draft saves (200), loads back as it was sent, and is said as issues in words.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from runtime.masking import MASK
from runtime.nodes.registry import catalog

pytestmark = [pytest.mark.django_db, pytest.mark.services]

NODE_IDS = {
    "start": "start",
    "llm": "llm",
    "knowledge_retrieval": "kr",
    "template": "tpl",
    "if_else": "cond",
    "variable_aggregator": "agg",
    "answer": "answer",
    "end": "end",
    "http_request": "http",
}
WORDS = ["start", "llm", "kr", "tpl", "cond", "agg", "http", "sys", "env", "query", "text"]
WORDS += ["output", "status_code", "body"]
WORDS += ["result", "", "x"]
TEMPLATES = st.sampled_from(
    [
        *["{{#llm.text#}}", "{{#sys.query#}}", "{{#nope.x#}}", "{{ q }}", "{{#", "{{#context#}}"],
        *['{"a": {{#http.json#}}, "b": "{{#sys.query#}}"}', "https://x.test/{{#sys.query#}}"],
    ]
)
# Text with a lone surrogate (half of a character; st.text() never draws one), refused with a
# 400 naming the field, in words.
HALF_TEXT = st.tuples(
    st.text(max_size=4), st.characters(categories=["Cs"]), st.text(max_size=4)
).map("".join)
# Any text: one in 30 holds a lone surrogate (so that some drafts have none), and a NUL character,
# which PostgreSQL cannot store, is refused with a 422.
TEXT = (
    st.integers(0, 29).flatmap(lambda i: HALF_TEXT if i == 0 else st.text(max_size=12)) | TEMPLATES
)
# What a browser's form can send: no NUL either.
UI_TEXT = (
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
    | TEMPLATES
)


def json_values(
    text: st.SearchStrategy[str], floats: st.SearchStrategy[float]
) -> st.SearchStrategy[Any]:
    """Any JSON value (nested up to 8 leaves), with its texts and floats drawn from these."""
    return st.recursive(
        st.none() | st.booleans() | st.integers(-5, 5) | floats | text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=8,
    )


JSON = json_values(TEXT, st.floats(allow_nan=False))


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


HALF = re.compile("[\ud800-\udfff]")


def half_character_fields(value: Any, path: str = "") -> set[str]:
    """The field paths (`spec.nodes[2].config.prompt`, as a refusal names them) of the texts, and
    of the objects with a name, that hold a lone surrogate."""
    if isinstance(value, str):
        return {path} if HALF.search(value) else set()
    if isinstance(value, list):
        return {f for i, v in enumerate(value) for f in half_character_fields(v, f"{path}[{i}]")}
    if not isinstance(value, dict):
        return set()
    found = {path} if any(HALF.search(k) for k in value) else set()
    for k, v in value.items():
        found |= half_character_fields(v, f"{path}.{k}" if path else k)
    return found


def half_character_spec() -> dict[str, Any]:
    """A template whose text, and a config whose name, hold a lone surrogate."""
    spec = base_spec()
    spec["nodes"][2]["config"] = {"template": "hi \ud800", "variables": []}
    spec["nodes"][1]["config"] = {"bad\udfff": 1}
    return spec


def assert_half_character_refused(refused: dict[str, Any], spec: dict[str, Any]) -> None:
    """A 400 is right for a lone surrogate when it names the field that holds it, in words."""
    field = refused["field"]
    assert refused["code"] == "invalid_param", refused
    assert field in half_character_fields({"spec": spec}), refused
    assert refused["message"].startswith(f"{field}: "), refused
    assert "holds half of a character" in refused["message"], refused


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=edited_specs())
@example(spec=incident_spec())
@example(spec=half_character_spec())
def test_draft_random_config_edits_never_answer_5xx(
    owner: Any, make_app: Any, client_for: Any, spec: dict[str, Any]
) -> None:
    from builder.models import Workflow

    app = owner.workspace.apps.first() or make_app(owner, publish=False)[0]
    client = client_for(owner)
    url = f"/api/apps/{app.pk}"
    revision = Workflow.objects.get(app=app).revision
    saved = client.put(f"{url}/draft", {"spec": spec, "revision": revision}, "application/json")
    assert saved.status_code in (200, 400, 422), saved.content  # never 5xx, never a 409
    event(f"save answered {saved.status_code}")  # --hypothesis-show-statistics counts them
    if saved.status_code == 400:
        assert_half_character_refused(saved.json(), spec)
    if saved.status_code == 422:  # only a malformed spec, e.g. run settings out of range, or
        # on PostgreSQL a text it cannot store (a NUL character): invalid_param
        assert saved.json()["code"] in ("invalid_spec", "invalid_param"), saved.content
    checked = client.post(f"{url}/validate", {"spec": spec}, "application/json")
    assert checked.status_code in (200, 400, 422), checked.content
    if checked.status_code == 400:
        assert_half_character_refused(checked.json(), spec)
    loaded = client.get(f"{url}/draft")
    assert loaded.status_code == 200, loaded.content
    codes = {i["code"] for i in loaded.json()["issues"]}
    assert "invalid_spec" not in codes  # what a saved spec that a check fails on turns into
    if saved.status_code == 200:
        assert loaded.json()["revision"] == saved.json()["revision"] == revision + 1


# What the editor's schema form (frontend/src/panel/SchemaForm.tsx) can store for each kind of
# field: every key optional (a row added and half filled), any text typed, numbers cleared to 0
# (or null where allowed) or typed beyond the bounds, a picker chosen or cleared.
NUMBERS = st.integers(-3, 40_000) | st.floats(-3, 100, allow_nan=False)
# What JSON.parse gives: no NaN or Infinity, and floats within 2**53 (beyond it a float's shortest
# repr is not its value, and PostgreSQL's jsonb keeps the decimal: 2.251799813685243e+16 comes
# back as the int 22517998136852430; the editor sends JSON.stringify's digits, which are exact).
UI_JSON = json_values(UI_TEXT, st.floats(-1e15, 1e15, allow_nan=False))


def ui_value(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    """A strategy for what the editor's form can leave in a field of this JSON Schema."""
    s = _resolve(schema, defs)
    alts = [a for a in s.get("anyOf", []) if a.get("type") != "null"]
    if alts:  # a nullable field: cleared, or one of its types
        return st.none() | st.one_of([ui_value(a, defs, depth) for a in alts])
    widget = s.get("widget")
    if widget == "hidden":
        return st.none()
    if widget == "selector":
        picked = st.lists(st.sampled_from(WORDS[:-2]), min_size=2, max_size=2)
        return st.just([]) | picked
    if widget == "model":
        return st.fixed_dictionaries({}, optional={"provider": UI_TEXT, "name": UI_TEXT})
    if "enum" in s:
        return st.sampled_from(s["enum"])
    kind = s.get("type")
    if kind == "object" and "properties" in s and depth < 4:
        props = s["properties"]
        return st.fixed_dictionaries(
            {}, optional={name: ui_value(p, defs, depth + 1) for name, p in props.items()}
        )
    if kind == "array" and depth < 4:
        items = _resolve(s.get("items", {}), defs)
        if items.get("type") == "string" and "widget" not in items:  # one per line
            return st.lists(UI_TEXT, max_size=3)
        return st.lists(ui_value(items, defs, depth + 1), max_size=3)
    if kind == "string":
        return UI_TEXT
    if kind in ("integer", "number"):
        return NUMBERS if kind == "number" else st.integers(-3, 40_000)
    if kind == "boolean":
        return st.booleans()
    if kind is None and not s.get("properties"):  # a free value, typed as text
        return st.none() | UI_TEXT
    return UI_JSON  # the form's JSON field: anything JSON


# What the env panel (frontend/src/panel/EnvPanel.tsx) can leave: any name typed (a few common
# ones, to be used twice), a number or nothing in a number, text in the others; never the secret
# mask, which the panel sends only for a secret stored under the same name.
ENV_VARS = st.one_of(
    st.fixed_dictionaries(
        {
            "name": UI_TEXT | st.sampled_from(["REGION", "VAR_1"]),
            "type": st.sampled_from(["string", "secret"]),
            "value": UI_TEXT.filter(lambda text: text != MASK),
        }
    ),
    st.fixed_dictionaries(
        {
            "name": UI_TEXT | st.sampled_from(["REGION", "LIMIT"]),
            "type": st.just("number"),
            "value": NUMBERS | st.just(""),
        }
    ),
)


@st.composite
def ui_edited_specs(draw: st.DrawFn) -> dict[str, Any]:
    """The base spec with what the editor's forms can leave in every node's config and run
    settings, and in the env panel."""
    spec = base_spec()
    entries = {entry["type"]: entry for entry in catalog()}
    for node in spec["nodes"]:
        for key, schema_key in (("config", "config_schema"), ("settings", "settings_schema")):
            schema = entries[node["type"]][schema_key]
            node[key] = draw(ui_value(schema, schema.get("$defs", {})))
    spec["env"] = draw(st.lists(ENV_VARS, max_size=3))
    return spec


def ui_incident_spec() -> dict[str, Any]:
    """Rows just added in every list ("+ Add"), as the form makes them, run settings with a
    cleared number, and env variables whose names are not names yet."""
    spec = base_spec()
    configs = {
        "start": {"variables": [{"variable": "", "label": "", "type": "text", "required": True}]},
        "template": {"variables": [{"variable": "", "value_selector": []}], "template": ""},
        "if_else": {"cases": [{"case_id": "case_1", "conditions": [{"variable_selector": []}]}]},
        "variable_aggregator": {"variables": [[]]},
        "end": {"outputs": [{"variable": "", "value_selector": []}]},
        "answer": {"answer": ""},
        "llm": {"prompt": "", "max_tokens": 0, "context": {"enabled": True}},
        "knowledge_retrieval": {
            "query": [],
            "dataset_ids": [],
            "top_k": None,
            "metadata_filter": [{"key": "", "op": "is", "value": ""}],
        },
        "http_request": {
            "url": "",
            "headers": [{"key": "", "value": ""}],
            "body": {"type": "json", "data": "", "form": [{"key": "", "value": ""}]},
            "auth": {"type": "bearer", "secret": ""},
            "timeout": {"connect": None, "read": 0},
            "max_response_bytes": None,
        },
    }
    for node in spec["nodes"]:
        node["config"] = configs[node["type"]]
        node["settings"] = {"retry": {"max_attempts": 0, "interval_s": 0}, "timeout_s": 0}
    spec["env"] = [  # a name cleared, and one typed half-way
        {"name": "", "type": "string", "value": ""},
        {"name": "MY VAR", "type": "number", "value": 0},
    ]
    return spec


PYDANTIC_WORDS = ("should match pattern", "should have at least", "Input should", "Field required")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=ui_edited_specs())
@example(spec=ui_incident_spec())
@example(spec=incident_spec())
def test_draft_every_state_the_editor_makes_saves_loads_and_shows_issues(
    owner: Any, make_app: Any, client_for: Any, spec: dict[str, Any]
) -> None:
    from builder.models import Workflow

    app = owner.workspace.apps.first() or make_app(owner, publish=False)[0]
    client = client_for(owner)
    url = f"/api/apps/{app.pk}"
    before = Workflow.objects.get(app=app)
    revision, env_before = before.revision, _names_and_types(before.spec.get("env", []))
    saved = client.put(f"{url}/draft", {"spec": spec, "revision": revision}, "application/json")
    assert saved.status_code == 200, saved.content  # what the editor makes always saves
    loaded = client.get(f"{url}/draft")
    assert loaded.status_code == 200, loaded.content
    body = loaded.json()
    assert body["revision"] == saved.json()["revision"] == revision + 1
    stored = {n["id"]: (n["config"], n["settings"]) for n in body["spec"]["nodes"]}
    assert stored == {n["id"]: (n["config"], n.get("settings", {})) for n in spec["nodes"]}
    env_issues = [i for i in saved.json()["issues"] if i["code"] == "invalid_env"]
    # a bad env variable refuses only the env part: the variables stay as last saved
    env_kept = env_before if env_issues else _names_and_types(spec.get("env", []))
    assert _names_and_types(body["spec"]["env"]) == env_kept
    checked = client.post(f"{url}/validate", {"spec": body["spec"]}, "application/json")
    assert checked.status_code == 200, checked.content
    for report in (saved.json(), body, checked.json()):
        assert "invalid_spec" not in {i["code"] for i in report["issues"]}
        for issue in report["issues"]:
            if issue["code"] == "bad_config":
                assert issue["node_id"] in stored, issue  # on its node, in words
            if issue["code"] == "invalid_env":
                assert issue["field"].startswith("env."), issue  # on its variable, in words
            assert not any(w in issue["message"] for w in PYDANTIC_WORDS), issue


def _names_and_types(env: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(v["name"], v.get("type", "string")) for v in env]
