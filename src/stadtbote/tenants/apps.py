from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "stadtbote.tenants"
    label = "tenants"
    verbose_name = "Municipalities"
