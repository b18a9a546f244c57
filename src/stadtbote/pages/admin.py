from django.contrib import admin

from stadtbote.pages.models import Feedback, PublicText


@admin.register(PublicText)
class PublicTextAdmin(admin.ModelAdmin):
    list_display = ["tenant", "kind", "language", "title", "updated_at"]
    list_filter = ["kind", "language"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["tenant", "created_at", "page", "handled"]
    list_filter = ["handled"]
    readonly_fields = ["tenant", "page", "text", "name", "email", "created_at"]
