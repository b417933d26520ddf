from django.urls import path

from training.consumers import TrainJobConsumer

websocket_urlpatterns = [
    path("ws/training/jobs/<uuid:job_id>/", TrainJobConsumer.as_asgi()),
]
