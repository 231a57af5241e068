from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["district", "street", "community", "firm"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleInline]
    fieldsets = BaseUserAdmin.fieldsets + (("门户", {"fields": ("full_name", "phone")}),)
    list_display = ["username", "full_name", "is_active", "is_staff", "last_login"]
