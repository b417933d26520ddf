from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from kernel.models import AuditLog, Invitation, Membership, User, Workspace


class MembershipInline(admin.TabularInline[Membership, Workspace]):
    model = Membership
    extra = 0


@admin.register(User)
class WeftUserAdmin(UserAdmin[User]):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name")


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin[Workspace]):
    list_display = ("name", "slug", "created_at")
    prepopulated_fields = {"slug": ("name",)}  # Django's admin API
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "workspace", "role", "created_at")
    list_filter = ("role",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ("email", "workspace", "role", "invited_by", "expires_at", "accepted_at")
    list_filter = ("role",)
    readonly_fields = ("token_hash",)  # only the hash is stored; the link was shown once


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin[AuditLog]):
    list_display = ("at", "workspace", "actor", "action", "target")
    list_filter = ("action",)
