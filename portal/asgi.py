"""ASGI entry point: HTTP through Django, WebSockets through Channels (session-authenticated).

Request bodies pass the data limits (kernel/bodies.py) before Django or the /v1 handler reads
them."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  # needs Django set up first
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from builder.asgi_mcp import PREFIX as MCP_PREFIX  # noqa: E402
from builder.asgi_mcp import MCPHandler  # noqa: E402
from builder.asgi_service import PREFIX, ServiceAPIHandler  # noqa: E402
from builder.runlog import run_log  # noqa: E402
from builder.service_api import is_valid_key  # noqa: E402
from kernel.bodies import LimitedBodies  # noqa: E402
from portal.routing import websocket_urlpatterns  # noqa: E402

service_api_app = ServiceAPIHandler(key_check=is_valid_key)
mcp_app = MCPHandler()
# The writer closes the runs a killed process of this host left "running" as it starts: now,
# not at the first run after a restart.
run_log.start()
django_app = LimitedBodies(django_asgi_app)


async def http_app(scope, receive, send):  # type: ignore[no-untyped-def]  # ASGI callable
    """/v1/ (the published API) and /mcp/server/ (apps as MCP servers) through the lean
    handlers, everything else through Django."""
    path = scope["path"]
    if path.startswith(PREFIX + "/"):
        await service_api_app(scope, receive, send)
    elif path.startswith(MCP_PREFIX):
        await mcp_app(scope, receive, send)
    else:
        await django_app(scope, receive, send)


# Everything loaded so far lives as long as the process: keep it out of the garbage collector's
# full passes, which otherwise pause every request for tens of milliseconds under load.
gc.freeze()

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
