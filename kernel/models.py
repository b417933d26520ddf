"""Users, workspaces, memberships with roles, invitations, and the audit log."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class _EmailUserManager(UserManager["User"]):
    def create_user(  # type: ignore[override]  # email is the login, username is optional
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("username", email)
        return super().create_user(email=email, password=password, **extra)

    def create_superuser(  # type: ignore[override]  # same reason as create_user
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("username", email)
        return super().create_superuser(email=email, password=password, **extra)


class User(AbstractUser):
    """A person who signs in with an email address."""

    email = models.EmailField(unique=True)
    # Where the user lands after signing in: set by the user only (their first own workspace,
    # the workspace they switch to, the one an invitation made their first), never by others.
    default_workspace = models.ForeignKey(
        "Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = _EmailUserManager()  # type: ignore[misc]  # narrows the manager's create_user


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


# Higher ranks include every permission of the lower ones.
ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Workspace(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(User, through="Membership", related_name="workspaces")
    # Off until an admin turns it on: a code node runs its members' Python on this server.
    allow_code_node = models.BooleanField(
        default=False, help_text="Members may run Python in code nodes."
    )

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "workspace"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    def allows(self, role: str) -> bool:
        """Whether this membership's role is at least `role`."""
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


class Invitation(models.Model):
    """An offer to join a workspace with a role; a membership exists only once it is accepted.

    Only the SHA-256 of the link's token is stored, so the link is shown (or mailed) once.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} to {self.workspace} ({self.role})"


class AuditLog(models.Model):
    """Who changed what, for the workspace's admins."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_log")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering: ClassVar = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"


class WorkerBeat(models.Model):
    """A running task worker (`manage.py db_worker`): which queues it takes, when it last beat,
    and its start-up checks (kernel/workers.py)."""

    process = models.CharField(max_length=120, primary_key=True)  # "<host>:<pid>"
    queues = models.JSONField(default=list)  # the queue names it takes; ["*"]: every queue
    excluded = models.JSONField(default=list)  # with "*": the queues it leaves alone
    checks = models.JSONField(default=dict, blank=True)  # {name: {"ok": bool, "message": str}}
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.process} ({', '.join(self.queues)})"
