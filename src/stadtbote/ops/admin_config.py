from django.contrib.admin.apps import AdminConfig


class OperatorAdminConfig(AdminConfig):
    """Django's admin, served by the operators-only site (``ops/admin_site.py``)."""

    default_site = "stadtbote.ops.admin_site.OperatorAdminSite"
