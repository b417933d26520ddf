"""The vLLM client: the OpenAI-compatible client plus runtime LoRA adapter management."""

from __future__ import annotations

from runtime.llm.openai_compat import OpenAICompatibleClient


class VLLMClient(OpenAICompatibleClient):
    """Talks to `vllm serve` (0.33); adapter calls need VLLM_ALLOW_RUNTIME_LORA_UPDATING=True.

    `list_models` (inherited) reports adapters with `parent` set to their base model.
    """

    async def load_lora_adapter(self, name: str, path: str) -> None:
        """POST {base_url}/load_lora_adapter; the adapter is then served as model `name`."""
        await self.request_json(
            "POST", "/load_lora_adapter", json={"lora_name": name, "lora_path": path}
        )

    async def unload_lora_adapter(self, name: str) -> None:
        """POST {base_url}/unload_lora_adapter."""
        await self.request_json("POST", "/unload_lora_adapter", json={"lora_name": name})

    load_adapter = load_lora_adapter  # the names the embedded engine uses
    unload_adapter = unload_lora_adapter
