"""The chain of apps running one inside another (an app called as a tool by another's run).

Each run's task runs in a copy of the context that started it, with its own app appended
(`run_context`), so a run started by an app tool from inside another run knows every app
above it: the apps tool refuses a call to one of them (an app calling itself, directly or
through others) and a chain deeper than the limit. A context variable rather than a run input
or a sys variable: it reaches every task the run starts (nodes, an agent's parallel calls)
and no workflow can read or set it.
"""

from __future__ import annotations

import contextvars

_running: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "weft_running_apps", default=()
)


def running_apps() -> tuple[int, ...]:
    """The ids of the apps whose runs this code runs inside, outermost first."""
    return _running.get()


def run_context(app_id: int) -> contextvars.Context:
    """A copy of the current context in which `app_id` is the innermost running app."""
    context = contextvars.copy_context()
    context.run(_running.set, (*_running.get(), app_id))
    return context
