"""工作日历 pages: any logged-in user reads the calendar; city administrators keep it.

Write URLs are 404 for everybody else (`may_edit_calendar`), and the services ask the same
question again. A refused input re-renders the year page with the message on its form.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import add_service_errors as _add_errors

from .forms import BulkForm, DayAddForm, YearEnterForm, YearOpenForm
from .models import FIRST_YEAR, LAST_YEAR, CalendarFallback, CalendarYear
from .selectors import calendar_year_days, calendar_year_rows, missing_calendar_years
from .services import (
    calendar_bulk_enter,
    calendar_day_add,
    calendar_day_delete,
    calendar_year_enter,
    may_edit_calendar,
)


class YearListView(LoginRequiredMixin, View):
    template_name = "workdays/year_list.html"

    def get(self, request):
        return self.render(request, YearOpenForm())

    def post(self, request):
        if not may_edit_calendar(request.user):
            raise Http404(_("页面不存在"))
        form = YearOpenForm(request.POST)
        if form.is_valid():
            return redirect("workdays:year_detail", year=form.cleaned_data["year"])
        return self.render(request, form)

    def render(self, request, form):
        today = timezone.localdate()
        can_edit = may_edit_calendar(request.user)
        return render(request, self.template_name, {
            "years": calendar_year_rows(),
            "can_edit": can_edit,
            "open_form": form,
            "missing": missing_calendar_years(today=today) if can_edit else [],
            "fallbacks": CalendarFallback.objects.order_by("year") if can_edit else [],
            "next_year": today.year + 1,
        })


def _year_or_404(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404(_("页面不存在"))
    return year


def year_page(request, year: int, *, status: int = 200, **forms):
    """The year's page: its days, and for a city administrator the forms to keep them."""
    calendar_year = CalendarYear.objects.select_related("entered_by").filter(year=year).first()
    can_edit = may_edit_calendar(request.user)
    ctx = {
        "year": year,
        "calendar_year": calendar_year,
        "days": calendar_year_days(year) if calendar_year else [],
        "can_edit": can_edit,
        "fallback": CalendarFallback.objects.filter(year=year).first() if calendar_year is None else None,
    }
    if can_edit:
        ctx["enter_form"] = forms.get("enter_form") or YearEnterForm()
        ctx["add_form"] = forms.get("add_form") or DayAddForm(initial={"date": f"{year}-01-01"})
        ctx["bulk_form"] = forms.get("bulk_form") or BulkForm()
    return render(request, "workdays/year_detail.html", ctx, status=status)


class YearDetailView(LoginRequiredMixin, View):
    def get(self, request, year):
        return year_page(request, _year_or_404(year))


class EditorView(LoginRequiredMixin, View):
    """POST-only write pages: 404 unless the user keeps the calendar."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_edit_calendar(request.user):
            raise Http404(_("页面不存在"))
        return super().dispatch(request, *args, **kwargs)

    def done(self, year: int, message: str):
        messages.success(self.request, message)
        return redirect(reverse("workdays:year_detail", kwargs={"year": year}))


class YearEnterView(EditorView):
    def post(self, request, year):
        year = _year_or_404(year)
        form = YearEnterForm(request.POST)
        if form.is_valid():
            try:
                calendar_year_enter(actor=request.user, year=year, now=timezone.now(), note=form.cleaned_data["note"])
            except ValidationError as exc:
                # The confirm form is shown only while the year is not entered: say it above the page.
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("workdays:year_detail", year=year)
            else:
                return self.done(year, _("已确认录入 %(y)d 年。") % {"y": year})
        return year_page(request, year, enter_form=form)


class DayAddView(EditorView):
    def post(self, request, year):
        year = _year_or_404(year)
        form = DayAddForm(request.POST)
        if form.is_valid():
            try:
                day = calendar_day_add(actor=request.user, year=year, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return self.done(year, _("已添加 %(d)s。") % {"d": day})
        return year_page(request, year, add_form=form)


class DayDeleteView(EditorView):
    def post(self, request, year, pk):
        year = _year_or_404(year)
        try:
            calendar_day_delete(actor=request.user, day_id=pk)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("workdays:year_detail", year=year)
        return self.done(year, _("已删除该日期。"))


class BulkEnterView(EditorView):
    def post(self, request, year):
        year = _year_or_404(year)
        form = BulkForm(request.POST)
        if form.is_valid():
            try:
                days = calendar_bulk_enter(actor=request.user, year=year, text=form.cleaned_data["text"],
                                           now=timezone.now())
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return self.done(year, _("已录入 %(n)d 天。") % {"n": len(days)})
        return year_page(request, year, bulk_form=form)
