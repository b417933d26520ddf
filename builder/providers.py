"""The model providers a workspace configured (ModelProvider rows), as a kernel model source.

BuilderConfig.ready() registers `workspace_providers`; the workspace model resolver
(kernel/model_sources.py) lists them after the built-in ones and resolves them first.
"""

from __future__ import annotations

from collections.abc import Callable

from builder.models import ModelProvider, ProviderKind
from kernel.chat_models import cached_client
from kernel.crypto import decrypt
from kernel.model_sources import Provider, SourceModels
from kernel.outbound import outbound_policy
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.llm.protocol import ChatModel
from runtime.llm.vllm import VLLMClient


def workspace_providers(workspace_id: int) -> SourceModels:
    """The workspace's provider rows (one query)."""
    rows = ModelProvider.objects.filter(workspace_id=workspace_id)
    return SourceModels(
        providers=tuple(
            Provider(row.name, row.kind, tuple(row.model_names), _connector(row)) for row in rows
        )
    )


def _connector(row: ModelProvider) -> Callable[[], ChatModel]:
    def connect() -> ChatModel:
        build = VLLMClient if row.kind == ProviderKind.VLLM else OpenAICompatibleClient
        policy = outbound_policy()  # a workspace's URL: only what the admin allowed
        return cached_client(
            ("row", row.pk, row.updated_at, policy),
            lambda: build(
                base_url=row.base_url,
                api_key=decrypt(row.api_key_encrypted) or None,
                policy=policy,
            ),
        )

    return connect
