"""A workspace's MCP servers: how to reach each, its last status, its cached tool list
and whether a check of it is queued.

Env values (stdio) and header values (HTTP) are secrets: each is stored encrypted
(`kernel.crypto`), by name, and the API only ever says which names are set.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings as django_settings
from django.db import models

from kernel.models import Workspace


class Transport(models.TextChoices):
    STDIO = "stdio", "Command (stdio)"
    HTTP = "http", "URL (streamable HTTP)"


class Status(models.TextChoices):
    UNKNOWN = "unknown", "Not checked yet"
    OK = "ok", "Connected"
    ERROR = "error", "Error"


class ToolServer(models.Model):
    """An MCP server the workspace's runs may call, by its name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tool_servers")
    name = models.CharField(max_length=64)  # [a-z0-9_-]: what tool nodes and agents name
    transport = models.CharField(max_length=8, choices=Transport.choices)
    command = models.CharField(max_length=1000, blank=True)
    args = models.JSONField(default=list, blank=True)  # list[str]
    env = models.JSONField(default=dict, blank=True)  # name → encrypted value
    url = models.CharField(max_length=2000, blank=True)
    headers = models.JSONField(default=dict, blank=True)  # name → encrypted value
    enabled = models.BooleanField(default=True)
    connect_timeout_s = models.FloatField(default=30.0)
    call_timeout_s = models.FloatField(default=60.0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.UNKNOWN)
    status_message = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    tools = models.JSONField(default=list, blank=True)  # [{name, description, input_schema}]
    listed_at = models.DateTimeField(null=True, blank=True)
    # When a check was queued for a task worker (the editor's listing does not wait for one);
    # cleared when that check is done (tools/tasks.py).
    refresh_queued_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_tool_server_name")
        ]

    def __str__(self) -> str:
        return self.name
