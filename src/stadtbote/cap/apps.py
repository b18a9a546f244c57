from django.apps import AppConfig


class CapConfig(AppConfig):
    """Official warnings: reading CAP 1.2 (DWD, warnung.bund.de, any feed), relaying it to the
    citizens it concerns, and publishing the town's own messages as CAP."""

    name = "stadtbote.cap"
    label = "cap"
    default_auto_field = "django.db.models.BigAutoField"
