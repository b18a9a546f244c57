from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "stadtbote.geo"
    label = "geo"
    verbose_name = "Districts and places"
