from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operator commands (serve, worker, demo, apikey): the top layer, above every domain."""

    name = "stadtbote.ops"
    label = "ops"
    verbose_name = "Operations"
