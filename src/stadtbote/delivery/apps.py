from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "stadtbote.delivery"
    label = "delivery"
    verbose_name = "Delivery"

    def ready(self) -> None:
        from stadtbote.delivery import checks  # noqa: F401 (registers the start-up check)
