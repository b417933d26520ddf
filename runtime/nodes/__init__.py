"""Built-in node types; importing this package registers each of them."""

from runtime.nodes import (  # noqa: F401  (imported to register)
    answer,
    end,
    if_else,
    knowledge,
    llm,
    start,
    template,
    tool,
    variable_aggregator,
)
