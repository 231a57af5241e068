"""Application pages: the firm's 申报 form, the scoped list (+ Excel), the detail with its timeline,
evidence downloads and the review buttons (exactly allowed_actions(app, user))."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.scope import scope_of
from accounts.views import ScopedListView
from enterprises.models import Firm

from ..filters import ApplicationFilter
from ..forms import ApplicationForm, TransitionForm
from ..models import Application, ApplicationAttachment, RatingPolicy
from ..selectors import application_windows
from ..services.applications import allowed_actions, application_submit, application_transition
from ..services.uploads import pending_upload_keep, pending_upload_token, pending_uploads_from_tokens
from ..services.policy import application_window
from ._common import form_errors, not_found

# action -> (button label, Bootstrap colour)
ACTION_LABELS = {
    "report": (gettext_lazy("审核上报"), "primary"),
    "accept": (gettext_lazy("受理"), "success"),
    "reject": (gettext_lazy("不予受理"), "danger"),
    "return": (gettext_lazy("退回"), "warning"),
}


def applying_firms(user):
    """The firms the user may apply for (firm users, for their own firm)."""
    return Firm.objects.filter(pk__in=scope_of(user).ids("firm", edit=True)).order_by("name")


class ApplicationListView(ScopedListView):
    model = Application
    template_name = "ratings/application_list.html"
    filterset_class = ApplicationFilter
    select_related = ("estate__community__street__district", "firm")
    sort_fields = {"year": "year", "estate": "estate__name", "street": "estate__community__street__name",
                   "firm": "firm__name", "status": "status", "submitted_at": "submitted_at"}
    default_sort = ("-year", "-submitted_at", "-pk")
    export_filename = gettext_lazy("星级评定申报")
    export_headers = tuple(gettext_lazy(h) for h in (
        "年度", "区", "街道", "社区", "小区", "物业企业", "状态", "申报时间", "附件数", "申报说明"))

    def get_base_queryset(self):
        return super().get_base_queryset().annotate(attachment_count=Count("attachments"))

    def export_row(self, a):
        c = a.estate.community
        return (a.year, c.street.district.name, c.street.name, c.name, a.estate.name, a.firm.name,
                a.get_status_display(), a.submitted_at, a.attachment_count, a.statement)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_apply"] = bool(scope_of(self.request.user).ids("firm", edit=True))
        return ctx


class ApplicationSubmitView(LoginRequiredMixin, View):
    template_name = "ratings/application_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.firms = applying_firms(request.user)
            if not self.firms.exists():
                raise not_found()
        return super().dispatch(request, *args, **kwargs)

    def windows(self, form, today):
        """The application window of each district of the estates the form offers, for `today`'s year
        (the dates application_submit checks). A district without a policy yet gets the default one's
        dates (the first application creates it), computed without saving anything."""
        districts = {e.community.street.district_id: e.community.street.district
                     for e in form.fields["estates"].queryset.select_related("community__street__district")}
        windows = {w["district"].pk: w for w in application_windows(districts, today)}
        for pk, district in districts.items():
            if pk not in windows:
                start, end = application_window(RatingPolicy(district=district), today.year)
                windows[pk] = {"district": district, "year": today.year, "start": start, "end": end,
                               "open": start <= today <= end, "next_start": None}
        return sorted(windows.values(), key=lambda w: (w["district"].name, w["district"].pk))

    def render(self, request, form, kept=()):
        windows = self.windows(form, timezone.localdate())
        closed = bool(windows) and not any(w["open"] for w in windows)
        if closed:
            for field in form.fields.values():
                field.widget.attrs["disabled"] = True
        pending = [{"token": pending_upload_token(u), "name": u.name, "size": u.size} for u in kept]
        return render(request, self.template_name, {"form": form, "scope": scope_of(request.user),
                                                    "windows": windows, "closed": closed, "pending": pending})

    def get(self, request):
        return self.render(request, ApplicationForm(firms=self.firms))

    def post(self, request):
        """Files chosen in a refused form are kept (services/uploads.py): the re-rendered form lists them
        and the next submit attaches them without choosing them again."""
        now = timezone.now()
        form = ApplicationForm(request.POST, request.FILES, firms=self.firms)
        kept, lost = pending_uploads_from_tokens(actor=request.user, tokens=request.POST.getlist("pending"), now=now)
        valid = form.is_valid()
        new_files = form.cleaned_data.get("files") or []
        if lost:
            form.add_error("files", _("有 %(n)d 个上次保留的附件已过期（保留 24 小时），请重新选择后提交。")
                           % {"n": lost})
        elif valid:
            d = form.cleaned_data
            try:
                apps = application_submit(actor=request.user, firm=d["firm"], estates=list(d["estates"]),
                                          year=d["year"], statement=d["statement"], files=new_files, kept=kept,
                                          today=timezone.localdate(now))
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已提交 %(n)d 个小区的 %(y)d 年度星级评定申报，等待街道审核。") % {
                    "n": len(apps), "y": d["year"]})
                if len(apps) == 1:
                    return redirect("ratings:application_detail", pk=apps[0].pk)
                return redirect("ratings:application_list")
        kept = [*kept, *pending_upload_keep(actor=request.user, files=new_files, now=now)]
        return self.render(request, form, kept)


def _detail_context(request, app, form=None):
    actions = allowed_actions(app, request.user)
    return {
        "app": app,
        "events": app.events.select_related("actor").order_by("at", "pk"),
        "attachments": app.attachments.order_by("pk"),
        "actions": [(a, *ACTION_LABELS[a]) for a in actions],
        "form": form or TransitionForm(),
        "scope": scope_of(request.user),
    }


def _visible_application(request, pk):
    qs = Application.objects.visible_to(request.user).select_related(
        "estate__community__street__district", "firm", "submitted_by")
    return get_object_or_404(qs, pk=pk)


class ApplicationDetailView(LoginRequiredMixin, View):
    template_name = "ratings/application_detail.html"

    def get(self, request, pk):
        app = _visible_application(request, pk)
        return render(request, self.template_name, _detail_context(request, app))

    def post(self, request, pk):
        """A review action (审核上报 / 退回 / 受理 / 不予受理) with its comment."""
        app = _visible_application(request, pk)
        form = TransitionForm(request.POST)
        if form.is_valid():
            action = form.cleaned_data["action"]
            try:
                app = application_transition(actor=request.user, application=app, action=action,
                                             comment=form.cleaned_data["comment"])
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                label = ACTION_LABELS.get(action, (action,))[0]
                messages.success(request, _("已%(a)s：%(e)s %(y)d 年度申报，当前状态“%(s)s”。") % {
                    "a": label, "e": app.estate.name, "y": app.year, "s": app.get_status_display()})
                return redirect("ratings:application_detail", pk=app.pk)
        return render(request, self.template_name, _detail_context(request, app, form))


class AttachmentDownloadView(LoginRequiredMixin, View):
    """Evidence files are served only to users who may see the application (never from /media/)."""

    def get(self, request, pk):
        visible = Application.objects.visible_to(request.user)
        att = get_object_or_404(ApplicationAttachment.objects.filter(application__in=visible), pk=pk)
        return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)
