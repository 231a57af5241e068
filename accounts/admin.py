from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction

from . import admin_axes  # noqa: F401  (the login-security section in Chinese; read after axes/admin.py)
from .models import RoleAssignment, User
from .services import user_require_password_change


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["district", "street", "community", "firm"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleInline]
    fieldsets = BaseUserAdmin.fieldsets + (("门户", {"fields": ("full_name", "phone", "must_change_password")}),)
    list_display = ["username", "full_name", "is_active", "is_staff", "last_login"]

    def save_model(self, request, obj, form, change):
        # An account created here has a password the admin chose: its owner must replace it on first login.
        if not change and obj.has_usable_password():
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        """Django's page; a password set here for someone else must be replaced by its owner."""
        if not unquote(id).isdigit():
            return super().user_change_password(request, id, form_url)
        with transaction.atomic():
            before = User.objects.filter(pk=unquote(id)).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and before is not None:
                user = User.objects.get(pk=unquote(id))
                if user.password != before and user.has_usable_password() and user.pk != request.user.pk:
                    user_require_password_change(user=user)
        return response
