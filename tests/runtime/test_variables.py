"""The variable pool and `{{#node.field#}}` rendering."""

from __future__ import annotations

import pytest

from runtime.errors import VariableNotFoundError
from runtime.variables import (
    VariablePool,
    extract_references,
    nest_values,
    parse_template,
    render,
)


@pytest.fixture
def pool() -> VariablePool:
    p = VariablePool(sys={"query": "hello"}, env={"KEY": "secret"})
    p.set_outputs("llm", {"text": "hi", "usage": {"total": 3}, "items": [1, 2], "none": None})
    return p


def test_render_replaces_references(pool: VariablePool) -> None:
    text = "Q={{#sys.query#}} A={{#llm.text#}} K={{#env.KEY#}}"
    assert render(text, pool) == "Q=hello A=hi K=secret"


def test_render_nested_reference(pool: VariablePool) -> None:
    assert render("{{#llm.usage.total#}}", pool) == "3"


def test_render_json_for_dict_and_list_and_empty_for_none(pool: VariablePool) -> None:
    assert render("{{#llm.usage#}}|{{#llm.items#}}|{{#llm.none#}}|", pool) == (
        '{"total": 3}|[1, 2]||'
    )


def test_render_missing_variable_is_empty(pool: VariablePool) -> None:
    assert render("[{{#ghost.text#}}]", pool) == "[]"


def test_render_leaves_plain_text_alone(pool: VariablePool) -> None:
    assert render("{{ not a ref }} {#x#}", pool) == "{{ not a ref }} {#x#}"


def test_extract_references_in_order_without_duplicates() -> None:
    refs = extract_references("{{#a.x#}} {{#b.y.z#}} {{#a.x#}} {{#sys.query#}}")
    assert refs == [("a", "x"), ("b", "y", "z"), ("sys", "query")]


def test_parse_template_segments() -> None:
    assert parse_template("Hi {{#a.x#}}!") == ("Hi ", ("a", "x"), "!")


def test_pool_get_raises_for_missing(pool: VariablePool) -> None:
    assert pool.get(["llm", "text"]) == "hi"
    assert pool.get(("llm", "items", "1")) == 2
    with pytest.raises(VariableNotFoundError, match=r"llm\.nope"):
        pool.get(["llm", "nope"])
    assert pool.has(["sys", "query"])
    assert not pool.has(["sys", "user_id"])


def test_pool_list_index_is_ascii_digits_only(pool: VariablePool) -> None:
    """ "²".isdigit() is True but int("²") raises: such a key is simply not an index."""
    assert pool.lookup(("llm", "items", "²")) is None
    assert not pool.has(["llm", "items", "\u0661"])  # ARABIC-INDIC DIGIT ONE


def test_pool_set_single_value(pool: VariablePool) -> None:
    pool.set(["node", "field"], 5)
    assert pool.lookup(["node", "field"]) == 5
    assert pool.outputs("node") == {"field": 5}


def test_nest_values_groups_dotted_selectors_by_scope() -> None:
    nested = nest_values({"llm.text": "hi", "llm.usage.total": 3, "sys.query": "q"})
    assert nested == {"llm": {"text": "hi", "usage": {"total": 3}}, "sys": {"query": "q"}}
    with pytest.raises(ValueError, match="not a selector"):
        nest_values({"llm": "hi"})
