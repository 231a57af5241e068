from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .tokens import API_TOKEN_MAX_DAYS


# Free text has a ceiling (a clerk's note, a reason, an evidence text): fields with no length of
# their own (model TextFields) get this one, in the browser (maxlength) and on the server.
TEXT_MAX_LENGTH = 2000


class BootstrapFormMixin:
    """Adds Bootstrap classes to every widget, marks invalid fields and caps free text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and field.max_length is None:
                field.max_length = TEXT_MAX_LENGTH
                field.validators.append(MaxLengthValidator(TEXT_MAX_LENGTH, message=_(
                    "最多可填写 %(limit_value)d 个字，目前有 %(show_value)d 个字，请精简后再保存。")))
                field.widget.attrs.setdefault("maxlength", str(TEXT_MAX_LENGTH))
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on a field it names, else at the top."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- passwords ------------------------------------------------------------------------------------------
# Django's own forms (their validators are AUTH_PASSWORD_VALIDATORS, their messages Django's zh-hans
# translation); saving goes through accounts.services.user_set_password so the forced-change flag is
# cleared in the same write.


class PortalPasswordChangeForm(BootstrapFormMixin, auth_forms.PasswordChangeForm):
    def save(self, commit=True):
        from .services import user_set_password

        return user_set_password(user=self.user, password=self.cleaned_data["new_password1"], must_change=False)


class PortalSetPasswordForm(BootstrapFormMixin, auth_forms.SetPasswordForm):
    """The last step of a reset by e-mail: the user chooses the password themselves."""

    def save(self, commit=True):
        from .services import user_set_password

        return user_set_password(user=self.user, password=self.cleaned_data["new_password1"], must_change=False)


class PortalPasswordResetForm(BootstrapFormMixin, auth_forms.PasswordResetForm):
    email = forms.EmailField(label=_("电子邮箱"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


# --- user management ---------------------------------------------------------------------------------------

class _NewPasswordFields(forms.Form):
    password1 = forms.CharField(label=_("初始密码"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("用户首次登录后必须改成自己的密码。"))
    password2 = forms.CharField(label=_("再次输入"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class _RoleFields(forms.Form):
    """A role and its unit, offered within the actor's scope only (the service checks again)."""

    role = forms.ChoiceField(label=_("角色"))
    district = forms.ModelChoiceField(label=_("区"), queryset=None, required=False)
    street = forms.ModelChoiceField(label=_("街道"), queryset=None, required=False)
    community = forms.ModelChoiceField(label=_("社区"), queryset=None, required=False)
    firm = forms.ModelChoiceField(label=_("物业企业"), queryset=None, required=False)

    def __init__(self, *args, actor, **kwargs):
        from .models import Role
        from .services import grantable_roles, grantable_targets

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "---------")] + [(r.value, Role(r).label) for r in grantable_roles(actor)]
        self.fields["district"].queryset = grantable_targets(actor, "district").order_by("name")
        self.fields["street"].queryset = grantable_targets(actor, "street").select_related("district").order_by("name")
        self.fields["community"].queryset = grantable_targets(actor, "community").order_by("name")
        self.fields["firm"].queryset = grantable_targets(actor, "firm").order_by("name")

    def clean(self):
        from .models import ROLE_TARGET

        data = super().clean()
        role = data.get("role")
        if role:
            level = ROLE_TARGET.get(role)
            data["target"] = data.get(level) if level else None
            if level and data["target"] is None:
                self.add_error(level, _("这个角色须选择所属的%(unit)s。") % {"unit": self.fields[level].label})
        return data


class UserCreateForm(BootstrapFormMixin, _RoleFields, _NewPasswordFields):
    """A new account with exactly one role."""

    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False, help_text=_("用于找回密码。"))

    field_order = ["username", "full_name", "phone", "email", "role", "district", "street", "community", "firm",
                   "password1", "password2"]


class RoleAddForm(BootstrapFormMixin, _RoleFields):
    """One more role for an existing account."""


class UserPasswordResetForm(BootstrapFormMixin, _NewPasswordFields):
    pass


# --- API tokens -------------------------------------------------------------------------------------------

class ApiTokenForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("接入系统名称"), max_length=100,
                           help_text=_("例如：12345 热线平台 · 山亭区"))
    user = forms.ModelChoiceField(label=_("代表账号"), queryset=None,
                                  help_text=_("接入系统专用的账号，只有一个角色；令牌的查看和操作范围就是这个账号的范围。"))
    days = forms.IntegerField(label=_("有效期（天）"), min_value=1, max_value=API_TOKEN_MAX_DAYS, initial=365)

    def __init__(self, *args, actor, **kwargs):
        from .services import api_token_accounts

        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = api_token_accounts(actor).order_by("username")
        self.fields["user"].label_from_instance = lambda u: f"{u.username}（{u.display_name}）"


# --- the audit page ---------------------------------------------------------------------------------------

class AuditFilterForm(BootstrapFormMixin, forms.Form):
    """Filters of /accounts/audit/: the changed account and the editor by user name, and a date range."""

    account = forms.CharField(label=_("账号"), max_length=150, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("用户名")}))
    editor = forms.CharField(label=_("操作人"), max_length=150, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("用户名")}))
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())

    def _user(self, name):
        from .models import User

        username = self.cleaned_data.get(name, "").strip()
        if not username:
            return None
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise ValidationError(_("没有用户名为“%(name)s”的账号。") % {"name": username})
        return user

    def clean_account(self):
        return self._user("account")

    def clean_editor(self):
        return self._user("editor")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data
