from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "stadtbote.reports"
    verbose_name = "Problem reports"
    default_auto_field = "django.db.models.BigAutoField"
