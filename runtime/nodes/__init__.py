"""Built-in node types; importing this package registers each of them."""

from runtime.nodes import (  # noqa: F401  (imported to register)
    answer,
    end,
    human_input,
    if_else,
    knowledge,
    llm,
    start,
    template,
    variable_aggregator,
)
