"""A draft's environment variables when one of them is bad: only the env part is refused.

The env panel can leave a variable the spec cannot hold: a name cleared or typed half-way, a
name used twice, text in a number. Refusing the whole save for it (a 422) lost every other edit
made meanwhile, and every later one, as each autosave was refused again. So a save or a check
keeps the draft's stored variables in place of the sent ones, goes on with the rest (nodes,
edges, settings), and reports each bad variable as an `invalid_env` issue in words, naming it:
"Name (environment variable 2): use letters, digits and _, ...". The editor keeps what was typed
and sends it again with the next save, which stores it once it is fixed.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from runtime.issues import Issue
from runtime.messages import explain_all
from runtime.spec import WorkflowSpec

KEPT = " (until it is fixed, the environment variables stay as last saved)"


def split_env(raw: Any, stored: Any) -> tuple[Any, list[Issue]]:
    """`raw` as it can be saved, and an issue for each bad env variable in it; when there is
    one, `raw`'s env list is swapped for `stored`'s (the draft as saved, or None)."""
    if not isinstance(raw, dict) or "env" not in raw:
        return raw, []
    issues = env_issues(raw["env"])
    if not issues:
        return raw, []
    kept = stored.get("env", []) if isinstance(stored, dict) else []
    return {**raw, "env": kept}, issues


def env_issues(env: Any) -> list[Issue]:
    """An `invalid_env` issue for each thing wrong with an env list, on its field."""
    try:
        WorkflowSpec.model_validate({"env": env})
    except ValidationError as exc:
        found = explain_all(WorkflowSpec, exc)
        return [Issue("invalid_env", message + KEPT, None, field) for field, message in found]
    return []
