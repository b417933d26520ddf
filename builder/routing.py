from django.urls import path

from builder.consumers import RunConsumer
from training.consumers import TrainJobConsumer

websocket_urlpatterns = [
    path("ws/apps/<int:app_id>/runs/", RunConsumer.as_asgi()),
    path("ws/training/jobs/<uuid:job_id>/", TrainJobConsumer.as_asgi()),
]
