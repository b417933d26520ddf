"""The multi-agent template: Planner → Researcher → Executor → Evaluator, in a loop of bounded
rounds, built from ordinary nodes (an LLM, two agents, a parameter extractor, a loop).

The loop's variables carry the work between rounds: `feedback` (the Evaluator's, read by the
Planner next round), `result` (the Executor's last answer) and `verdict`; the loop breaks when
the verdict is "accept", or after `ROUNDS` rounds with the last result, never an error loop.
The Researcher's tools are the built-in servers `knowledge` and `http`, named, not resolved
here: a workspace without them fails the Researcher at run time saying which is missing.
"""

from __future__ import annotations

import itertools
from typing import Any

from builder.actions.workflows import default_spec
from runtime.nodes import registry

ROUNDS = 3
LOOP = "rounds"
KNOWLEDGE_TOOL = {"server": "knowledge", "tool": "search_knowledge"}
FETCH_TOOL = {"server": "http", "tool": "http_request"}

CARD = (
    "Several agents share one task, round after round. The Planner splits the request into"
    " steps (and, from the second round, works the Evaluator's feedback in); the Researcher"
    " looks things up in your knowledge bases and on the web and summarises them; the Executor"
    f" does the steps with its tools; the Evaluator accepts the result or sends it back with"
    f" feedback. After at most {ROUNDS} rounds the last result is the answer. It needs the"
    " built-in tool servers knowledge and http (add a knowledge base to search), and a model"
    " that calls tools for the agents."
)
ROLES: tuple[tuple[str, str], ...] = (
    ("Planner", "an LLM that splits the task into steps and reads the Evaluator's feedback"),
    ("Researcher", "an agent with knowledge search and web fetch; summarises what it found"),
    ("Executor", "an agent that carries out the plan with its tools and writes the result"),
    ("Evaluator", 'checks the result: verdict "accept" ends the loop, "revise" sends feedback'),
)

PLANNER_SYSTEM = (
    "You are the Planner of a small team. Split the user's task into at most five short,"
    " numbered steps for a Researcher and an Executor. If the Evaluator gave feedback on the"
    " last attempt, change the plan to answer it."
)
PLANNER_PROMPT = (
    "Task: {{#sys.query#}}\n\nEvaluator's feedback on the last attempt (empty on the first"
    " round): {{#rounds.feedback#}}\n\nLast result: {{#rounds.result#}}"
)
RESEARCHER_INSTRUCTIONS = (
    "You are the Researcher. Find what the plan needs: search the knowledge bases first, fetch"
    " web pages when they do not hold it. Answer with a short summary of the facts and where"
    " each came from."
)
EXECUTOR_INSTRUCTIONS = (
    "You are the Executor. Carry out the plan with the research given, using your tools where a"
    " step needs them, and write the complete result for the user."
)
EVALUATOR_INSTRUCTION = (
    "You are the Evaluator. Task: {{#sys.query#}}\nPlan: {{#planner.text#}}\n"
    'Judge the result below. verdict is "accept" when it does the task well, else "revise";'
    " feedback says what to change (empty when accepted)."
)


def _node(
    node_id: str, type_id: str, title: str, x: float, y: float, **config: Any
) -> dict[str, Any]:
    base = registry.get(type_id).default_config("chat")
    return {
        "id": node_id,
        "type": type_id,
        "title": title,
        "config": {**base, **config},
        "position": {"x": x, "y": y},
    }


def _inside(node: dict[str, Any]) -> dict[str, Any]:
    return {**node, "parentId": LOOP}


def _loop() -> dict[str, Any]:
    def var(label: str, update: list[str]) -> dict[str, Any]:
        return {"label": label, "var_type": "string", "value": "", "update_selector": update}

    accepted = {
        "variable_selector": [LOOP, "verdict"],
        "comparison_operator": "is",
        "value": "accept",
    }
    return _node(
        LOOP,
        "loop",
        "Rounds",
        350,
        150,
        loop_count=ROUNDS,
        break_conditions=[accepted],
        loop_variables=[
            var("feedback", ["evaluator", "feedback"]),
            var("result", ["executor", "text"]),
            var("verdict", ["evaluator", "verdict"]),
        ],
    )


def _team() -> list[dict[str, Any]]:
    """The nodes inside the loop, in the order they run."""
    evaluator = _node(
        "evaluator",
        "parameter_extractor",
        "Evaluator",
        1080,
        80,
        query=["executor", "text"],
        instruction=EVALUATOR_INSTRUCTION,
        parameters=[
            {
                "name": "verdict",
                "type": "string",
                "required": True,
                "options": ["accept", "revise"],
            },
            {"name": "feedback", "type": "string", "description": "What to change, if anything."},
        ],
    )
    team = [
        _node("rounds_start", "loop_start", "Round", 30, 80),
        _node(
            "planner",
            "llm",
            "Planner",
            210,
            80,
            system_prompt=PLANNER_SYSTEM,
            prompt=PLANNER_PROMPT,
            memory={"enabled": False, "window": 10},
        ),
        _node(
            "researcher",
            "agent",
            "Researcher",
            500,
            80,
            instructions=RESEARCHER_INSTRUCTIONS,
            query="Task: {{#sys.query#}}\n\nPlan:\n{{#planner.text#}}",
            tools=[KNOWLEDGE_TOOL, FETCH_TOOL],
            memory={"enabled": False, "window": 10},
        ),
        _node(
            "executor",
            "agent",
            "Executor",
            790,
            80,
            instructions=EXECUTOR_INSTRUCTIONS,
            query=(
                "Task: {{#sys.query#}}\n\nPlan:\n{{#planner.text#}}\n\n"
                "Research:\n{{#researcher.text#}}"
            ),
            tools=[FETCH_TOOL],
            memory={"enabled": False, "window": 10},
        ),
        evaluator,
    ]
    return [_inside(n) for n in team]


def multi_agent_spec() -> dict[str, Any]:
    """Start → loop(Planner → Researcher → Executor → Evaluator) → Answer (the last result)."""
    spec = default_spec("chat")
    start = next(n for n in spec["nodes"] if registry.starts_runs(n["type"]))
    start["position"] = {"x": 80, "y": 200}
    answer = _node("answer", "answer", "Answer", 1700, 200, answer="{{#rounds.result#}}")
    chain = ["rounds_start", "planner", "researcher", "executor", "evaluator"]
    edges = [
        {"id": "e-start", "source": start["id"], "target": LOOP},
        {"id": "e-answer", "source": LOOP, "target": "answer"},
    ]
    edges += [{"id": f"e-{a}", "source": a, "target": b} for a, b in itertools.pairwise(chain)]
    spec["nodes"] = [start, _loop(), *_team(), answer]
    spec["edges"] = edges
    return spec
