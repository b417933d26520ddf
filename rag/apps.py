from django.apps import AppConfig


class RagConfig(AppConfig):
    name = "rag"
    verbose_name = "Knowledge bases"

    def ready(self) -> None:
        """Provide the workspaces' retriever (the knowledge node's search) and offer it as the
        "knowledge" tool server, and have the workers that take the "rag" queue check at start
        that the embedding model loads."""
        from kernel.resources import provide
        from kernel.tool_sources import register_tool_source
        from kernel.workers import register_worker_check
        from rag.embeddings import default_embedder
        from rag.knowledge_tool import SERVER, knowledge_servers
        from rag.retriever import retriever_for
        from rag.tasks import QUEUE
        from runtime.resources import RETRIEVER

        provide(RETRIEVER, retriever_for)
        register_tool_source("rag.knowledge", knowledge_servers, frozenset({SERVER}))
        register_worker_check(
            QUEUE, "load the embedding model", lambda: default_embedder().embed(["ok"])
        )
