"""Built-in node types; importing this package registers each of them."""

from runtime.nodes import (  # noqa: F401  (imported to register)
    agent,
    answer,
    code,
    end,
    http,
    human_input,
    if_else,
    iteration,
    knowledge,
    llm,
    loop,
    parameter_extractor,
    question_classifier,
    start,
    template,
    tool,
    variable_aggregator,
    variable_assigner,
)
