from django.contrib import admin

from stadtbote.assistant.models import Entry, Synonym


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("title", "tenant", "language", "origin", "updated_at")
    list_filter = ("tenant", "language", "origin")
    search_fields = ("title", "url", "body")


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ("term", "tenant", "expansions")
    list_filter = ("tenant",)
    search_fields = ("term",)
