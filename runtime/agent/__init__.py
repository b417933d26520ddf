"""The agent loop: a model, tools and a step limit (function calling, or a ReAct prompt loop)."""
