from django.apps import AppConfig


class BroadcastConfig(AppConfig):
    name = "stadtbote.broadcast"
    label = "broadcast"
    verbose_name = "Broadcast"
