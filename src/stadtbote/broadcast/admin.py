from typing import Any

from django import forms
from django.contrib import admin

from stadtbote.broadcast.models import BroadcastAccount, BroadcastPost


class BroadcastAccountForm(forms.ModelForm):
    class Meta:
        model = BroadcastAccount
        fields = ("tenant", "kind", "name", "target", "room", "secret_env", "language",
                  "min_severity", "topics", "active")  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tenant, topics = data.get("tenant"), data.get("topics")
        if tenant is not None and topics and any(t.tenant_id != tenant.pk for t in topics):
            self.add_error("topics", "Only topics of this town")
        return data


@admin.register(BroadcastAccount)
class BroadcastAccountAdmin(admin.ModelAdmin):
    form = BroadcastAccountForm
    list_display = ("name", "tenant", "kind", "target", "secret_env", "min_severity", "active")
    list_filter = ("tenant", "kind", "active")
    filter_horizontal = ("topics",)
    search_fields = ("name", "target")

    def formfield_for_manytomany(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "topics":
            kwargs["queryset"] = db_field.remote_field.model.objects.select_related("tenant")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(BroadcastPost)
class BroadcastPostAdmin(admin.ModelAdmin):
    """What was posted where; read-only (posts are made by the background task)."""

    list_display = ("message", "kind", "account", "status", "attempts", "sent_at", "reason")
    list_filter = ("status", "kind", "account__tenant", "account__kind")
    readonly_fields = [f.name for f in BroadcastPost._meta.fields]
    list_select_related = ("account",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
