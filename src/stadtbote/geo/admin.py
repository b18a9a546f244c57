from django.contrib import admin

from stadtbote.geo.models import District


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("slug", "tenant", "position")
    list_filter = ("tenant",)
