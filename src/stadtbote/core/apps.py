from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_cache_table(sender, using="default", **kwargs):
    # The rate limiter's shared cache lives in the database; `migrate` should be all an
    # operator runs. Django sends post_migrate only for apps with models, and this app has
    # none, so the handler listens to the tenants app, which every installation has.
    if sender.label != "tenants":
        return
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "stadtbote.core"
    label = "core"
    verbose_name = "Stadtbote core"

    def ready(self) -> None:
        post_migrate.connect(_create_cache_table, dispatch_uid="stadtbote.cache_table")
