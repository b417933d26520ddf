from django.urls import path

from builder import app_info_api, conversations_api, openai_api, service_api, v1_openapi

# The published Service API (Dify-compatible) and the OpenAI-compatible endpoint.
urlpatterns = [
    path("chat-messages", service_api.chat_messages),
    path("chat-messages/<str:task_id>/stop", service_api.stop_task),
    path("completion-messages", service_api.completion_messages),
    path("workflows/run", service_api.workflows_run),
    path("workflows/tasks/<str:task_id>/stop", service_api.stop_task),
    path("workflows/runs/<str:run_id>/resume", service_api.resume_run),
    path("chat/completions", openai_api.chat_completions),
    path("models", openai_api.list_models),
    path("conversations", conversations_api.conversations),
    path("conversations/<str:conversation_id>", conversations_api.delete_conversation),
    path("conversations/<str:conversation_id>/variables", conversations_api.conversation_variables),
    path("messages", conversations_api.messages),
    path("parameters", app_info_api.parameters),
    path("info", app_info_api.info),
    path("openapi.json", v1_openapi.openapi_json),
]
