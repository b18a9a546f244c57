from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "stadtbote.web"
    label = "web"
    verbose_name = "Citizen web pages"
