from django.contrib import admin

from stadtbote.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the application and never edited."""

    list_display = ("at", "tenant", "actor_name", "action", "object_type", "object_id")
    list_filter = ("tenant", "action")
    search_fields = ("actor_name", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
