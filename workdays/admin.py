"""Admin for data keepers: read-mostly; entering a year goes through the 工作日历 pages (services)."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CalendarDay, CalendarFallback, CalendarYear


class DayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0
    fields = ["date", "kind", "name"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "source", "entered_by", "entered_at", "note"]
    list_filter = ["source"]
    readonly_fields = ["year", "source", "entered_by", "entered_at"]
    inlines = [DayInline]

    def has_add_permission(self, request):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "kind", "name", "year"]
    list_filter = ["kind", "year"]
    search_fields = ["name"]
    readonly_fields = ["date", "kind", "year"]

    def has_add_permission(self, request):
        return False


@admin.register(CalendarFallback)
class CalendarFallbackAdmin(admin.ModelAdmin):
    list_display = ["year", "first_used_at"]
    readonly_fields = ["year", "first_used_at"]

    def has_add_permission(self, request):
        return False
