from django.urls import path

from builder import conversations_api, openai_api, service_api, v1_openapi

# The published Service API (Dify-compatible) and the OpenAI-compatible endpoint.
urlpatterns = [
    path("chat-messages", service_api.chat_messages),
    path("chat-messages/<str:task_id>/stop", service_api.stop_task),
    path("workflows/run", service_api.workflows_run),
    path("workflows/tasks/<str:task_id>/stop", service_api.stop_task),
    path("chat/completions", openai_api.chat_completions),
    path("models", openai_api.list_models),
    path("conversations", conversations_api.conversations),
    path("conversations/<str:conversation_id>", conversations_api.delete_conversation),
    path("messages", conversations_api.messages),
    path("openapi.json", v1_openapi.openapi_json),
]
