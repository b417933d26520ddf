"""The join state object alone: the join rule over edge tables, seeding, and independent
states over one graph (as a container node keeps one per sub-graph run)."""

from __future__ import annotations

from runtime._join import JoinState

# s → if; if -yes→ a, if -false→ b; a → j; b → j; j → end
SUCC = {
    "s": (("source", "if"),),
    "if": (("yes", "a"), ("false", "b")),
    "a": (("source", "j"),),
    "b": (("source", "j"),),
    "j": (("source", "end"),),
    "end": (),
}
IN = {"s": 0, "if": 1, "a": 1, "b": 1, "j": 2, "end": 1}


def test_join_state_runs_a_join_once_after_every_incoming_edge() -> None:
    join, skipped = JoinState(SUCC, IN), list[str]()
    assert join.resolve("s", "source", skipped) == [("if", "s")]
    assert join.resolve("if", "yes", skipped) == [("a", "if")]
    assert skipped == ["b"]  # the untaken branch is skipped at once
    assert join.resolve("a", "source", skipped) == [("j", "a")]
    assert join.resolve("j", "source", skipped) == [("end", "j")]
    assert not join.finished
    assert join.resolve("end", "source", skipped) == []
    assert join.finished
    assert skipped == ["b"]


def test_join_state_skips_a_join_whose_every_incoming_edge_is_skipped() -> None:
    join, skipped = JoinState(SUCC, IN), list[str]()
    join.resolve("s", "source", skipped)
    assert join.resolve("if", None, skipped) == []  # the if-else itself was skipped
    assert sorted(skipped) == ["a", "b", "end", "j"]
    assert join.finished


def test_join_state_waits_for_a_slow_branch_of_a_diamond() -> None:
    succ = {"s": (("source", "a"), ("source", "b")), "a": (("source", "j"),)}
    succ |= {"b": (("source", "j"),), "j": ()}
    join, skipped = JoinState(succ, {"s": 0, "a": 1, "b": 1, "j": 2}), list[str]()
    assert join.resolve("s", "source", skipped) == [("a", "s"), ("b", "s")]
    assert join.resolve("b", "source", skipped) == []
    assert join.resolve("a", "source", skipped) == [("j", "a")]


def test_join_state_seed_counts_seeded_nodes_as_finished() -> None:
    join, skipped = JoinState(SUCC, IN), list[str]()
    seed: dict[str, tuple[object, str | None]] = {
        "s": ({}, "source"),
        "if": ({}, "false"),
        "b": ({}, "source"),
    }
    ready = join.seed(["s", "if", "a", "b", "j", "end"], seed, skipped)
    assert ready == [("j", "b")]
    assert skipped == ["a"]
    assert join.left == 2  # j and end run again


def test_join_state_two_states_over_one_graph_are_independent() -> None:
    first, second = JoinState(SUCC, IN), JoinState(SUCC, IN)
    skipped_first, skipped_second = list[str](), list[str]()
    first.resolve("s", "source", skipped_first)
    first.resolve("if", "yes", skipped_first)
    assert second.resolve("s", "source", skipped_second) == [("if", "s")]
    assert second.resolve("if", "false", skipped_second) == [("b", "if")]
    assert (skipped_first, skipped_second) == (["b"], ["a"])
    assert first.resolve("a", "source", skipped_first) == [("j", "a")]
    assert second.remaining["j"] == 1  # still waits for b
