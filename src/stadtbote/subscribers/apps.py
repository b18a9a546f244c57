from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "stadtbote.subscribers"
    label = "subscribers"
    verbose_name = "Subscribers"
