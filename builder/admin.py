from django.contrib import admin

from builder.models import (
    ApiKey,
    App,
    AppVersion,
    Conversation,
    Message,
    ModelProvider,
    NodeRun,
    Run,
    Workflow,
)


class WorkflowInline(admin.StackedInline[Workflow, App]):
    model = Workflow
    extra = 0


@admin.register(App)
class AppAdmin(admin.ModelAdmin[App]):
    list_display = ("name", "slug", "mode", "mcp_enabled", "workspace", "updated_at")
    list_filter = ("mode", "mcp_enabled", "workspace")
    search_fields = ("name", "slug")
    inlines = (WorkflowInline,)


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin[Workflow]):
    list_display = ("app", "revision", "updated_by", "updated_at")


@admin.register(AppVersion)
class AppVersionAdmin(admin.ModelAdmin[AppVersion]):
    list_display = ("app", "number", "note", "created_by", "created_at")
    readonly_fields = ("app", "number", "spec", "draft_revision", "created_by", "created_at")


class NodeRunInline(admin.TabularInline[NodeRun, Run]):
    model = NodeRun
    extra = 0
    fields = ("index", "node_id", "node_type", "status", "elapsed_ms", "error_code", "error")
    readonly_fields = fields


@admin.register(Run)
class RunAdmin(admin.ModelAdmin[Run]):
    list_display = ("id", "app", "source", "status", "started_at", "elapsed_ms", "error_code")
    list_filter = ("status", "source", "app")
    inlines = (NodeRunInline,)


@admin.register(NodeRun)
class NodeRunAdmin(admin.ModelAdmin[NodeRun]):
    list_display = ("run", "node_id", "node_type", "status", "elapsed_ms")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin[Conversation]):
    list_display = ("id", "app", "end_user", "name", "updated_at")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = ("conversation", "query", "created_at")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ("prefix", "app", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_hash",)


@admin.register(ModelProvider)
class ModelProviderAdmin(admin.ModelAdmin[ModelProvider]):
    list_display = ("name", "workspace", "kind", "base_url")
    exclude = ("api_key_encrypted",)
