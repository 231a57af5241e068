"""Base views every app's pages build on, so scope cannot be forgotten.

- ScopedListView: scoped queryset -> FilterSet -> sort -> paginate, and the
  same filtered rows as an Excel export (`?export=xlsx`).
- ScopedDetailView: the object is looked up inside `visible_to(user)`, so an
  object outside the user's scope is a 404, never a 403.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView, TemplateView

from .choices import SOURCES, VIEW, search
from .excel import build_workbook, xlsx_response
from .ratelimit import client_ip, over_limit
from .scope import scope_of


class ScopedMixin(LoginRequiredMixin):
    """Views over a ScopedQuerySet model: everything starts at visible_to(user)."""

    model = None
    select_related: tuple = ()
    prefetch_related: tuple = ()

    def get_base_queryset(self):
        qs = self.model.objects.visible_to(self.request.user)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["scope"] = scope_of(self.request.user)
        return ctx


class ScopedListView(ScopedMixin, ListView):
    filterset_class = None
    paginate_by = 25
    # ?sort=key or ?sort=-key; key -> ORM ordering expression.
    sort_fields: dict[str, str] = {}
    default_sort: tuple[str, ...] = ()
    # Export: headers and a row function over the same filtered queryset.
    export_filename: str | None = None
    export_headers: tuple = ()
    export_max_rows = 50000

    def get_queryset(self):
        qs = self.get_base_queryset()
        self.filterset = None
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(self.request.GET or None, queryset=qs, request=self.request)
            # An unbound filterset (no query string) lists everything; a bound one must be valid.
            qs = self.filterset.qs if not self.filterset.is_bound or self.filterset.is_valid() else qs.none()
        sort = self.request.GET.get("sort", "")
        key = sort.lstrip("-")
        if key in self.sort_fields:
            field = self.sort_fields[key]
            desc = sort.startswith("-")
            qs = qs.order_by(f"-{field}" if desc else field, "pk")
        elif self.default_sort:
            qs = qs.order_by(*self.default_sort)
        return qs

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx" and self.export_filename:
            return self.export(self.get_queryset())
        return super().get(request, *args, **kwargs)

    def export_row(self, obj):  # pragma: no cover - every exporting view overrides it
        raise NotImplementedError

    def export(self, queryset):
        rows = (self.export_row(obj) for obj in queryset[: self.export_max_rows])
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        content = build_workbook(self.export_headers, rows, sheet=str(self.export_filename))
        return xlsx_response(content, f"{self.export_filename}-{stamp}.xlsx")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter"] = self.filterset
        ctx["current_sort"] = self.request.GET.get("sort", "")
        ctx["can_export"] = bool(self.export_filename)
        return ctx


class ScopedDetailView(ScopedMixin, DetailView):
    def get_queryset(self):
        return self.get_base_queryset()


class EditableObjectMixin:
    """For edit views: the object must be inside editable_by(user), else 404."""

    def get_queryset(self):
        return self.model.objects.editable_by(self.request.user)


def require_role(request, *roles):
    """Raise 404 unless the user holds one of the roles (for pages of one role)."""
    if not scope_of(request.user).has_role(*roles) and not scope_of(request.user).city_admin:
        raise Http404(_("页面不存在"))


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


# --- passwords -------------------------------------------------------------------------------------------

class PasswordChangeView(auth_views.PasswordChangeView):
    """Any logged-in user changes their own password (also the page the forced change leads to)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def get_form_class(self):
        from .forms import PortalPasswordChangeForm

        return PortalPasswordChangeForm

    def form_valid(self, form):
        response = super().form_valid(form)  # saves and keeps this session logged in
        messages.success(self.request, _("密码已修改。"))
        return response


def _reset_limited(request, email: str) -> str | None:
    """Count this reset request against the per-address and per-e-mail limits; say which one is over."""
    for what, rate, key in (("ip", settings.PASSWORD_RESET_RATE_IP, client_ip),
                            ("email", settings.PASSWORD_RESET_RATE_EMAIL, lambda g, r: email)):
        if over_limit(request, f"accounts.password_reset.{what}", rate, key):
            return what
    return None


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail. The answer is the same whether or not the address belongs to an
    account (Django's view redirects to the "sent" page either way). Rate-limited per client address (over
    the limit: 429) and per e-mail address (over the limit: the same "sent" page, and no mail), so the page
    can neither flood a mailbox nor be used to find out which addresses exist."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_form_class(self):
        from .forms import PortalPasswordResetForm

        return PortalPasswordResetForm

    def post(self, request, *args, **kwargs):
        email = request.POST.get("email", "").strip().lower()[:254]
        over = _reset_limited(request, email)
        if over == "ip":
            response = render(request, "accounts/password_reset_429.html", status=429)
            response["Retry-After"] = "3600"
            return response
        if over == "email":
            return redirect(self.success_url)
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_form_class(self):
        from .forms import PortalSetPasswordForm

        return PortalSetPasswordForm


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        from communities.selectors import home_summary

        ctx = super().get_context_data(**kwargs)
        # The one clock read of the page: the indicator tiles (reports' template tag) measure its quarter.
        ctx["today"] = today = timezone.localdate()
        ctx["scope"] = scope_of(self.request.user)
        ctx["summary"] = home_summary(user=self.request.user, today=today)
        return ctx


# --- user management ------------------------------------------------------------------------------------

class UserAdminMixin(LoginRequiredMixin):
    """Pages for those who may grant roles (city and district administrators); others get a 404."""

    def dispatch(self, request, *args, **kwargs):
        from .services import grantable_roles

        if request.user.is_authenticated and not grantable_roles(request.user):
            raise Http404(_("页面不存在"))
        return super().dispatch(request, *args, **kwargs)

    def get_managed_user(self, pk):
        from django.shortcuts import get_object_or_404

        from .services import users_managed_by

        return get_object_or_404(users_managed_by(self.request.user), pk=pk)


class UserListView(UserAdminMixin, ListView):
    template_name = "accounts/user_list.html"
    paginate_by = 50

    def get_queryset(self):
        from django.db.models import Prefetch

        from .models import RoleAssignment
        from .services import users_managed_by

        qs = users_managed_by(self.request.user).prefetch_related(Prefetch(
            "roles", queryset=RoleAssignment.objects.select_related("district", "street", "community", "firm")))
        q = self.request.GET.get("q", "").strip()
        if q:
            from django.db.models import Q

            qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
        return qs.order_by("-is_active", "username")

    def get_context_data(self, **kwargs):
        from .services import grantable_ids, user_manageable

        ctx = super().get_context_data(**kwargs)
        ids = grantable_ids(self.request.user)
        for u in ctx["object_list"]:
            u.manageable = user_manageable(actor=self.request.user, user=u, ids=ids)
        ctx["q"] = self.request.GET.get("q", "")
        return ctx


class UserCreateView(UserAdminMixin, View):
    template_name = "accounts/user_form.html"

    def get(self, request):
        from .forms import UserCreateForm

        return render(request, self.template_name, {"form": UserCreateForm(actor=request.user)})

    def post(self, request):
        from django.core.exceptions import ValidationError

        from .forms import UserCreateForm, add_service_errors
        from .services import user_create

        form = UserCreateForm(request.POST, actor=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                user = user_create(actor=request.user, username=d["username"], password=d["password1"],
                                   role=d["role"], target=d["target"], full_name=d["full_name"],
                                   phone=d["phone"], email=d["email"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已开设账号 %(name)s，请把初始密码告诉本人；首次登录后须修改密码。")
                                 % {"name": user.username})
                return redirect("accounts:user_list")
        return render(request, self.template_name, {"form": form})


class UserPasswordResetView(UserAdminMixin, View):
    template_name = "accounts/user_password.html"

    def get(self, request, pk):
        from .forms import UserPasswordResetForm

        target = self.get_managed_user(pk)
        return render(request, self.template_name, {"form": UserPasswordResetForm(), "target": target})

    def post(self, request, pk):
        from django.core.exceptions import ValidationError

        from .forms import UserPasswordResetForm, add_service_errors
        from .services import user_reset_password

        target = self.get_managed_user(pk)
        form = UserPasswordResetForm(request.POST)
        if form.is_valid():
            try:
                user_reset_password(actor=request.user, user=target, password=form.cleaned_data["password1"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已重设 %(name)s 的密码；下次登录时须修改。") % {"name": target.username})
                return redirect("accounts:user_list")
        return render(request, self.template_name, {"form": form, "target": target})


def _back(request, default: str = "accounts:user_list"):
    """Back to the page the form was on (the user list or a user's page), never to another site."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


class UserDeactivateView(UserAdminMixin, View):
    def post(self, request, pk):
        from django.core.exceptions import ValidationError

        from .services import user_deactivate

        target = self.get_managed_user(pk)
        try:
            user_deactivate(actor=request.user, user=target, now=timezone.now())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已停用账号 %(name)s。") % {"name": target.username})
        return _back(request)


class UserReactivateView(UserAdminMixin, View):
    def post(self, request, pk):
        from django.core.exceptions import ValidationError

        from .services import user_reactivate

        target = self.get_managed_user(pk)
        try:
            user_reactivate(actor=request.user, user=target)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已重新启用账号 %(name)s。") % {"name": target.username})
        return _back(request)


class UserDetailView(UserAdminMixin, View):
    """One account: its roles (add one, remove one), its state (deactivate, reactivate, reset the password)
    and its latest changes, with a link to all of them on the audit page. An account holding a role beyond
    the viewer's scope is shown without any of the buttons (the services refuse it too)."""

    template_name = "accounts/user_detail.html"
    recent = 10

    def _render(self, request, target, form=None, status=200):
        from django.db.models import Prefetch

        from .audit import audit_entries, audit_rows
        from .forms import RoleAddForm
        from .models import RoleAssignment, User
        from .services import user_manageable

        target = (User.objects.prefetch_related(Prefetch(
            "roles", queryset=RoleAssignment.objects.select_related("district", "street", "community", "firm")
            .order_by("pk"))).get(pk=target.pk))
        manageable = user_manageable(actor=request.user, user=target)
        if manageable and form is None:
            form = RoleAddForm(actor=request.user)
        entries = list(audit_entries(request.user, account=target)[: self.recent + 1])
        return render(request, self.template_name, {
            "target": target, "roles": list(target.roles.all()), "manageable": manageable,
            "form": form if manageable else None, "changes": audit_rows(entries[: self.recent]),
            # a refused POST on an account the viewer may only look at: the reason, without the form
            "refused": form.non_field_errors() if form is not None and not manageable else (),
            "more_changes": len(entries) > self.recent,
        }, status=status)

    def get(self, request, pk):
        return self._render(request, self.get_managed_user(pk))

    def post(self, request, pk):
        """添加角色."""
        from django.core.exceptions import ValidationError

        from .forms import RoleAddForm, add_service_errors
        from .services import user_role_add

        target = self.get_managed_user(pk)
        form = RoleAddForm(request.POST, actor=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                assignment = user_role_add(actor=request.user, user=target, role=d["role"], target=d["target"],
                                           now=timezone.now())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已为 %(name)s 添加角色：%(role)s。")
                                 % {"name": target.username, "role": assignment})
                return redirect("accounts:user_detail", pk=target.pk)
        return self._render(request, target, form=form, status=400)


class UserRoleRemoveView(UserAdminMixin, View):
    def post(self, request, pk, role_pk):
        from django.core.exceptions import ValidationError
        from django.shortcuts import get_object_or_404

        from .services import user_role_remove

        target = self.get_managed_user(pk)
        assignment = get_object_or_404(target.roles.select_related("district", "street", "community", "firm"),
                                       pk=role_pk)
        try:
            user_role_remove(actor=request.user, assignment=assignment)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已撤销 %(name)s 的角色：%(role)s。")
                             % {"name": target.username, "role": assignment})
        return redirect("accounts:user_detail", pk=target.pk)


class RolesView(LoginRequiredMixin, TemplateView):
    """/accounts/roles/: what each role may do, read from the one declaration (accounts/capabilities.py)."""

    template_name = "accounts/roles.html"

    def get_context_data(self, **kwargs):
        from .capabilities import table
        from .models import Role

        ctx = super().get_context_data(**kwargs)
        ctx["roles"] = [Role(r).label for r in Role]
        ctx["rows"] = table()
        return ctx


class AuditView(UserAdminMixin, View):
    """/accounts/audit/: every change to the accounts in the viewer's scope and to the roles inside it,
    newest first, filtered by account, editor and dates (accounts/audit.py)."""

    template_name = "accounts/audit.html"
    paginate_by = 50

    def get(self, request):
        from django.core.paginator import Paginator

        from .audit import audit_entries, audit_rows
        from .forms import AuditFilterForm

        form = AuditFilterForm(request.GET or None)
        filters = {}
        if form.is_bound and form.is_valid():
            filters = {k: v for k, v in form.cleaned_data.items() if v}
        entries = audit_entries(request.user, **filters) if not form.is_bound or form.is_valid() else None
        paginator = Paginator(entries if entries is not None else [], self.paginate_by)
        page = paginator.get_page(request.GET.get("page"))
        from types import SimpleNamespace

        return render(request, self.template_name, {
            "filter": SimpleNamespace(form=form, errors=form.errors if form.is_bound else {}),
            "rows": audit_rows(page.object_list), "page_obj": page, "paginator": paginator,
            "is_paginated": page.has_other_pages(),
        })


class NotificationListView(LoginRequiredMixin, ListView):
    """The user's own notifications; opening the page does not mark them read, the button does."""

    template_name = "accounts/notifications.html"
    paginate_by = 30

    def get_queryset(self):
        from .models import Notification

        return Notification.objects.filter(user=self.request.user)

    def post(self, request, *args, **kwargs):
        from django.shortcuts import redirect

        from .services import notification_mark_read

        ids = request.POST.getlist("id") or None
        notification_mark_read(user=request.user, ids=[int(i) for i in ids if i.isdigit()] if ids else None)
        target = request.POST.get("next", "")
        from django.utils.http import url_has_allowed_host_and_scheme

        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("accounts:notifications")


@method_decorator(never_cache, name="dispatch")
class ChoicesView(View):
    """GET /choices/<name>/?q=&page=&purpose=&ids=: one page of a declared choice list (accounts/choices.py).

    Only what the purpose's queryset (the field's own scope) holds is ever returned. Anonymous callers get
    a 403 in JSON (the caller is a script, which cannot follow a redirect to the login page).
    """

    def get(self, request, name):
        if not request.user.is_authenticated:
            return JsonResponse({"error": _("登录已过期，请重新登录。")}, status=403)
        source = SOURCES.get(name)
        purpose = request.GET.get("purpose") or VIEW
        if source is None or purpose not in source.purposes:
            return JsonResponse({"error": _("没有这个选项列表。")}, status=404)
        params = {key: request.GET.get(key, "") for key in source.purposes[purpose].params}
        queryset = source.queryset(purpose, request.user, params)
        page = request.GET.get("page", "")
        page = min(int(page), 10_000) if page.isdigit() else 1
        data = search(source, queryset, q=request.GET.get("q", ""), page=page, ids=request.GET.get("ids"))
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


# --- API tokens for machine clients -----------------------------------------------------------------------

class ApiTokenListView(UserAdminMixin, View):
    """List the tokens of the accounts one manages; issue one (its key shown on this answer only); revoke."""

    template_name = "accounts/token_list.html"

    def _render(self, request, form, status=200):
        from django.db.models import Prefetch

        from .models import RoleAssignment
        from .services import api_tokens_visible_to

        now = timezone.now()
        tokens = list(api_tokens_visible_to(request.user).select_related("user", "created_by", "revoked_by")
                      .prefetch_related(Prefetch("user__roles", queryset=RoleAssignment.objects.select_related(
                          "district", "street", "community", "firm")))[:500])
        for token in tokens:
            token.state = token.status(now=now)
        return render(request, self.template_name, {"form": form, "tokens": tokens}, status=status)

    def get(self, request):
        from .forms import ApiTokenForm

        return self._render(request, ApiTokenForm(actor=request.user))

    def post(self, request):
        import datetime

        from django.core.exceptions import ValidationError

        from .forms import ApiTokenForm, add_service_errors
        from .services import api_token_issue

        form = ApiTokenForm(request.POST, actor=request.user)
        if form.is_valid():
            d = form.cleaned_data
            now = timezone.now()
            try:
                token, key = api_token_issue(actor=request.user, user=d["user"], name=d["name"], now=now,
                                             expires_at=now + datetime.timedelta(days=d["days"]))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                response = render(request, "accounts/token_created.html", {"token": token, "key": key})
                response["Cache-Control"] = "no-store"  # the key must not stay in a cache
                return response
        return self._render(request, form, status=400)


class ApiTokenRevokeView(UserAdminMixin, View):
    def post(self, request, pk):
        from django.core.exceptions import ValidationError
        from django.shortcuts import get_object_or_404

        from .services import api_token_revoke, api_tokens_visible_to

        token = get_object_or_404(api_tokens_visible_to(request.user), pk=pk)
        try:
            api_token_revoke(actor=request.user, token=token, now=timezone.now())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已吊销令牌 %(name)s。") % {"name": token.name})
        return redirect("accounts:token_list")
