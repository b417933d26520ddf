"""Apps, drafts, published versions, runs, node traces, conversations, API keys, providers."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from kernel.models import Workspace


class AppMode(models.TextChoices):
    CHAT = "chat", "Chat"
    WORKFLOW = "workflow", "Workflow"


class App(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="apps")
    name = models.CharField(max_length=100)
    # Globally unique: it is the `model` name on /v1/chat/completions.
    slug = models.SlugField(max_length=60, unique=True)
    mode = models.CharField(max_length=16, choices=AppMode.choices, default=AppMode.CHAT)
    description = models.TextField(blank=True)
    # Served as an MCP server at /mcp/server/<slug>/mcp (builder/asgi_mcp.py); off until an
    # editor switches it on, so publishing an app never exposes a new endpoint by itself.
    mcp_enabled = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class Workflow(models.Model):
    """The app's editable draft. `revision` grows by one per save; a stale save is refused."""

    app = models.OneToOneField(App, on_delete=models.CASCADE, related_name="draft")
    spec = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"draft of {self.app} r{self.revision}"


class AppVersion(models.Model):
    """An immutable spec published from a draft; API calls run the newest one."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    note = models.CharField(max_length=500, blank=True)
    draft_revision = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["app", "number"], name="one_version_number_per_app")
        ]

    def __str__(self) -> str:
        return f"{self.app} v{self.number}"


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="conversations")
    end_user = models.CharField(max_length=200, blank=True)  # the API's `user` field
    name = models.CharField(max_length=200, blank=True)
    # its conversation variables' values by name (what runs assigned; the spec has defaults)
    variables = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-updated_at"]

    def __str__(self) -> str:
        return self.name or str(self.id)


class RunSource(models.TextChoices):
    DRAFT = "draft", "Draft (editor)"
    PORTAL = "portal", "Test form (portal)"
    DEBUG = "debug", "One node (editor)"
    API = "api", "Published API"
    MCP = "mcp", "MCP server"
    CLI = "cli", "Command line"
    TOOL = "tool", "Another app (as a tool)"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    STOPPED = "stopped", "Stopped"
    WAITING = "waiting", "Waiting"  # paused for a person (human input, a confirmation)


class Run(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(AppVersion, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=16, choices=RunSource.choices)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    inputs = models.JSONField(default=dict)
    outputs = models.JSONField(default=dict)
    answer = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    failed_node_id = models.CharField(max_length=64, blank=True)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    end_user = models.CharField(max_length=200, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # "<hostname>:<pid>" of the process running it, so a restart can close runs it left behind.
    process = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    elapsed_ms = models.FloatField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    # A "run from here": the run whose results it reused for the nodes it did not run again (its
    # own node rows are only those that ran), so a re-run of it finds them there.
    reused_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A waiting run's pause (builder/actions/resume.py): the forms it asks, when it paused, and
    # what a resume needs besides its node rows (the draft it ran, its query); {} otherwise.
    pending = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar = ["-started_at"]
        indexes: ClassVar = [models.Index(fields=["app", "-started_at"])]

    def __str__(self) -> str:
        return f"run {self.id} ({self.status})"

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


class NodeRun(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="node_runs")
    node_id = models.CharField(max_length=64)
    node_type = models.CharField(max_length=64)
    title = models.CharField(max_length=200, blank=True)
    index = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16)  # succeeded, failed, skipped, running, stopped
    inputs = models.JSONField(default=dict)
    outputs = models.JSONField(default=dict)
    handle = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    elapsed_ms = models.FloatField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    # how the node got its outputs: "retriever_resources" (citations), agent steps (NodeSucceeded)
    metadata = models.JSONField(default=dict)
    # A node inside an iteration or loop runs once per item or round: one row per run of it,
    # keyed by (node_id, iteration_path), the index in each container around it, outermost first.
    container_id = models.CharField(max_length=64, blank=True)
    iteration_path = models.JSONField(default=list)

    class Meta:
        ordering: ClassVar = ["run", "index"]

    def __str__(self) -> str:
        return f"{self.node_id} ({self.status})"


class Message(models.Model):
    """One chat turn: the user's query and the app's answer (the conversation memory)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    run = models.OneToOneField(Run, null=True, blank=True, on_delete=models.SET_NULL)
    query = models.TextField()
    answer = models.TextField(blank=True)
    inputs = models.JSONField(default=dict)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering: ClassVar = ["created_at"]

    def __str__(self) -> str:
        return self.query[:50]


class ApiKey(models.Model):
    """An app API key: only its SHA-256 is stored; the full key is shown once at creation."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.app})"


class ProviderKind(models.TextChoices):
    OPENAI_COMPATIBLE = "openai_compatible", "OpenAI-compatible server"
    VLLM = "vllm", "vLLM server"


class ModelProvider(models.Model):
    """A workspace's model server; `api_key_encrypted` is Fernet-encrypted at rest."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="providers")
    name = models.SlugField(max_length=60)
    kind = models.CharField(max_length=32, choices=ProviderKind.choices)
    base_url = models.URLField(max_length=500)
    api_key_encrypted = models.TextField(blank=True)
    model_names = models.JSONField(default=list, blank=True)  # offered in the node picker
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_provider_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"
