from django.apps import AppConfig


class AssistantConfig(AppConfig):
    """The 24/7 assistant: answers from the town's own knowledge, with sources, and honest
    hand-off to staff as an inquiry."""

    name = "stadtbote.assistant"
    label = "assistant"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # What the town's derived knowledge is made of (derived.py): a change queues a sync of
        # that town once it commits.
        from django.db.models.signals import post_delete, post_save

        from stadtbote.assistant.tasks import on_change
        from stadtbote.messages.models import Message
        from stadtbote.reports.models import Category, Department
        from stadtbote.tenants.models import Municipality

        for model in (Message, Category, Department):
            post_save.connect(on_change, sender=model, dispatch_uid=f"assistant-{model.__name__}")
            post_delete.connect(
                on_change, sender=model, dispatch_uid=f"assistant-{model.__name__}-gone"
            )
        post_save.connect(on_change, sender=Municipality, dispatch_uid="assistant-Municipality")
