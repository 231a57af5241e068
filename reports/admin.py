from django.contrib import admin

from .models import Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("indicator", "level", "area_id", "year", "value", "source")
    list_filter = ("indicator", "level", "year")
