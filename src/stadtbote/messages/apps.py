from django.apps import AppConfig


class MessagesConfig(AppConfig):
    name = "stadtbote.messages"
    # "messages" is taken by django.contrib.messages.
    label = "notices"
    verbose_name = "Messages"
