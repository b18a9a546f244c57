from django.apps import AppConfig


class AssistantConfig(AppConfig):
    """The 24/7 assistant: answers from the town's own knowledge, with sources, and honest
    hand-off to staff as an inquiry."""

    name = "stadtbote.assistant"
    label = "assistant"
    default_auto_field = "django.db.models.BigAutoField"
