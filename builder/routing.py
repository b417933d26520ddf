from django.urls import path

from builder.consumers import RunConsumer

websocket_urlpatterns = [
    path("ws/apps/<int:app_id>/runs/", RunConsumer.as_asgi()),
]
