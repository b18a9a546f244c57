from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin

from stadtbote.cap.fetch import NotAllowed, check_url
from stadtbote.cap.models import LEVELS, ReceivedAlert, SourceKind, WarningSource
from stadtbote.cap.sources.bund import PROVIDERS


class WarningSourceForm(forms.ModelForm):
    class Meta:
        model = WarningSource
        fields = ("tenant", "kind", "name", "url", "codes", "providers", "enabled",
                  "poll_seconds", "auto_from", "ignore_below", "severity_map")  # fmt: skip

    def clean_url(self) -> str:
        url: str = self.cleaned_data.get("url", "").strip()
        if self.cleaned_data.get("kind") != SourceKind.PUSH and not url:
            raise forms.ValidationError("A polled source needs an address.")
        if url:
            # Refused here already, not only when polling: no request to a host off the list.
            try:
                check_url(url, settings.CAP_ALLOWED_HOSTS)
            except NotAllowed as exc:
                raise forms.ValidationError(str(exc)) from None
        return url

    def clean_codes(self) -> Any:
        value = self.cleaned_data.get("codes") or []
        if not isinstance(value, list) or not all(
            isinstance(c, str) and c.isalnum() and len(c) <= 20 for c in value
        ):
            raise forms.ValidationError('A list of codes, e.g. ["805974028", "059740028028"]')
        return value

    def clean_providers(self) -> Any:
        value = self.cleaned_data.get("providers") or []
        if not isinstance(value, list) or any(p not in PROVIDERS for p in value):
            raise forms.ValidationError(f"A list of: {', '.join(PROVIDERS)}")
        return value

    def clean_poll_seconds(self) -> int:
        value: int = self.cleaned_data["poll_seconds"]
        if value < 30:
            raise forms.ValidationError("Poll at most every 30 seconds; sources rate-limit.")
        return value

    def _level(self, name: str) -> str:
        value: str = self.cleaned_data.get(name, "")
        if value not in LEVELS:
            raise forms.ValidationError(f"One of: {', '.join(v or '(empty)' for v in LEVELS)}")
        return value

    def clean_auto_from(self) -> str:
        return self._level("auto_from")

    def clean_ignore_below(self) -> str:
        return self._level("ignore_below")

    def clean_severity_map(self) -> Any:
        value = self.cleaned_data.get("severity_map") or {}
        allowed = {"Extreme", "Severe", "Moderate", "Minor", "Unknown"}
        levels = {"info", "minor", "moderate", "severe", "extreme"}
        if not isinstance(value, dict) or any(
            k not in allowed or v not in levels for k, v in value.items()
        ):
            raise forms.ValidationError('e.g. {"Minor": "info"}: CAP severity to our level')
        return value


@admin.register(WarningSource)
class WarningSourceAdmin(admin.ModelAdmin):
    form = WarningSourceForm
    list_display = ("name", "tenant", "kind", "enabled", "last_success_at", "failures")
    list_filter = ("tenant", "kind", "enabled")
    readonly_fields = ("etag", "last_modified", "next_poll_at", "failures", "last_error",
                       "last_polled_at", "last_success_at")  # fmt: skip


@admin.register(ReceivedAlert)
class ReceivedAlertAdmin(admin.ModelAdmin):
    """Read-only: the record of what arrived and what the relay rule made of it."""

    list_display = ("received_at", "tenant", "sender", "msg_type", "severity", "outcome")
    list_filter = ("tenant", "outcome", "msg_type")
    search_fields = ("identifier", "headline")
    readonly_fields = [f.name for f in ReceivedAlert._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
