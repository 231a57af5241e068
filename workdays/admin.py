"""Admin for data keepers, read-only: the calendar is kept on the 工作日历 pages, through the services
(which check the city administrator and keep every rule in one place)."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CalendarDay, CalendarFallback, CalendarYear


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DayInline(ReadOnly, admin.TabularInline):
    model = CalendarDay
    extra = 0
    fields = ["date", "kind", "name"]


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["year", "source", "entered_by", "entered_at", "note"]
    list_filter = ["source"]
    inlines = [DayInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["date", "kind", "name", "year"]
    list_filter = ["kind", "year"]
    search_fields = ["name"]


@admin.register(CalendarFallback)
class CalendarFallbackAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["year", "first_used_at"]
