from django.contrib import admin

from stadtbote.messages.models import Message, MessageTemplate


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: messages are published and withdrawn through the API, which applies the
    rules (validation, approval, fan-out)."""

    list_display = ("id", "tenant", "status", "severity", "published_at", "expires_at")
    list_filter = ("tenant", "status", "severity")
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("slug", "tenant", "severity", "position")
    list_filter = ("tenant",)
