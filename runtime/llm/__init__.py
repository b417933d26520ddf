"""Model clients: one streaming chat protocol, OpenAI-style/vLLM clients, the embedded engine."""
