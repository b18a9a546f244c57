from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "stadtbote.staff"
    label = "staff"
    verbose_name = "Staff console"
