from django.contrib import admin

from stadtbote.reports.models import Case, CaseEvent, Category, Department, ReplyTemplate


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["tenant", "slug", "email", "head_email"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["tenant", "slug", "department", "first_response_hours", "active"]
    list_filter = ["active"]


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = (
        "at",
        "kind",
        "actor",
        "actor_label",
        "public",
        "old_status",
        "new_status",
        "text",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):  # history is written by the service only
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = [
        "tenant",
        "number",
        "category",
        "status",
        "first_response_due",
        "first_response_at",
    ]
    list_filter = ["status", "category"]
    readonly_fields = ["public_id", "number", "created_at", "first_response_due", "resolve_due"]
    inlines = [EventInline]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ["tenant", "slug", "category", "status", "active", "position"]
    list_filter = ["active", "status"]
