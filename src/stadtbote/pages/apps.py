from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "stadtbote.pages"
    verbose_name = "Public pages"
    default_auto_field = "django.db.models.BigAutoField"
