"""Admin for operators: municipalities and their catalogue. Never shows the VAPID private key."""

from __future__ import annotations

from django.contrib import admin

from stadtbote.tenants.models import (
    ApiKey,
    Municipality,
    Operator,
    SignInGuard,
    StaffMembership,
    Topic,
)


class TopicInline(admin.TabularInline):
    model = Topic
    extra = 0
    fields = ("slug", "name", "description", "bit", "position")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "default_language", "created_at")
    search_fields = ("name", "slug")
    # vapid_private_key is not editable and not listed here: it never leaves the server.
    readonly_fields = ("vapid_public_key", "created_at")
    fields = (
        "slug", "name", "default_language", "languages", "timezone", "center_lat", "center_lon",
        "tolerance_m", "boundary", "contact_email", "website", "vapid_public_key", "created_at",
    )  # fmt: skip
    inlines = [TopicInline]


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "tenant", "role")
    list_filter = ("tenant", "role")


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    """The hosting provider's staff: admin rights in every town, always with a second factor."""

    list_display = ("user", "created_at")


@admin.register(SignInGuard)
class SignInGuardAdmin(admin.ModelAdmin):
    """Locked accounts; clearing ``locked_until`` unlocks one at once."""

    list_display = ("user", "failures", "locked_until")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued with `stadtbote apikey create` (the secret is shown once); here they can
    only be reviewed and revoked."""

    list_display = ("name", "tenant", "role", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("tenant", "role")
    readonly_fields = ("tenant", "name", "role", "prefix", "created_at", "last_used_at")
    fields = ("tenant", "name", "role", "prefix", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request) -> bool:
        return False
