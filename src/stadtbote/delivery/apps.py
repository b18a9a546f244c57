from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "stadtbote.delivery"
    label = "delivery"
    verbose_name = "Delivery"
