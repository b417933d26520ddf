"""Every feature app's WebSocket routes, as portal/asgi.py serves them."""

from builder import routing as builder_routing
from training import routing as training_routing

websocket_urlpatterns = [
    *builder_routing.websocket_urlpatterns,
    *training_routing.websocket_urlpatterns,
]
