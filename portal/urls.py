from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from portal import invitation_views, member_views, views, waiting
from portal.api import api
from portal.login import ThrottledLoginView

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspaces/switch/", views.switch_workspace, name="switch-workspace"),
    path("workspaces/new/", member_views.new_workspace, name="new-workspace"),
    path("workspace/members/", member_views.members_page, name="members"),
    path("workspace/members/invite/", member_views.invite_member, name="invite-member"),
    path("workspace/settings/", member_views.change_workspace_settings, name="workspace-settings"),
    path(
        "workspace/invitations/<int:invitation_id>/revoke/",
        member_views.revoke_invitation,
        name="revoke-invitation",
    ),
    path("invitations/<str:token>/", invitation_views.invitation_page, name="invitation"),
    path(
        "workspace/members/<int:member_id>/role/",
        member_views.change_member_role,
        name="change-member-role",
    ),
    path(
        "workspace/members/<int:member_id>/remove/",
        member_views.remove_member,
        name="remove-member",
    ),
    path("apps/new/", views.new_app, name="new-app"),
    path("apps/<int:app_id>/", views.app_page, name="app"),
    path("apps/<int:app_id>/editor/", views.editor_page, name="editor"),
    path("training/", views.training_page, name="training"),
    path("knowledge/", views.knowledge_page, name="knowledge"),
    path("tools/", views.tools_page, name="tools"),
    path("providers/", views.providers_page, name="providers"),
    path("apps/<int:app_id>/runs/<uuid:run_id>/", views.run_page, name="run"),
    path("apps/<int:app_id>/runs/<uuid:run_id>/resume/", waiting.resume_run, name="resume-run"),
    # One sign-in, the throttled one: the admin's own login form would bypass the throttle.
    path("admin/login/", RedirectView.as_view(url="/login/", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("healthz", views.healthz, name="healthz"),
    # Pages we do not template (the admin's, a JSON answer) still get an icon, not a 404.
    path("favicon.ico", RedirectView.as_view(url=static("portal/favicon.svg"), permanent=True)),
]
