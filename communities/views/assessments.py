"""Owner-committee yearly assessment pages (章贡 四(一)): the year's list of committees with their assessment
(the street's own; the district's per-street overview; Excel list of the allowance statements), the assessment
form (its rules shown first), the detail (items, roster, allowance statement, the district's confirm/return),
the street's correction, and the district's policy versions.

Only the government side sees any of it: outside one's scope (and for a firm) every page is 404.
Views parse input, read the clock once and call the service; every rule is the service's.
"""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.excel import build_workbook, xlsx_response
from accounts.history import history_rows
from accounts.scope import scope_of
from accounts.versions import ids_in_force
from communities.forms.assessments import (
    AssessmentForm,
    CriterionFormSet,
    DecisionForm,
    PolicyForm,
    RosterFormSet,
    criterion_rows,
    form_errors,
    roster_rows,
)
from communities.models import (
    ALLOWANCE_CAP,
    ALLOWANCE_FUNDS,
    AssessmentStatus,
    CommitteeAssessment,
    CommitteeAssessmentPolicy,
    District,
    OwnerCommittee,
    Street,
)
from communities.services import assessments as svc

ZERO = Decimal("0.00")


def not_found():
    return Http404(_("页面不存在"))


def sees_assessments(user) -> bool:
    """The government side (city, district, street, community); a firm sees nothing of the assessment."""
    scope = scope_of(user)
    return bool(scope.city or scope.ids("district") or scope.ids("street") or scope.ids("community"))


def _year(request, today: datetime.date) -> int:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= today.year else today.year


def committees_in_year(user, year: int):
    """The committees in office during `year` the user sees as government, each with that year's assessment
    (id, status, qualified) annotated."""
    scope = scope_of(user)
    qs = OwnerCommittee.objects.all()
    if not scope.city:
        q = Q(pk__in=[])
        for level, path in (("district", "estate__community__street__district"),
                            ("street", "estate__community__street"), ("community", "estate__community")):
            ids = scope.ids(level)
            if ids:
                q |= Q(**{f"{path}__in": ids})
        qs = qs.filter(q)
    this_year = CommitteeAssessment.objects.filter(committee=OuterRef("pk"), year=year)
    return (qs.filter(Q(elected_on__year__lte=year, term_end__year__gte=year) | Q(assessments__year=year))
            .distinct()
            .select_related("estate__community__street__district")
            .annotate(a_id=Subquery(this_year.values("pk")[:1]), a_status=Subquery(this_year.values("status")[:1]),
                      a_qualified=Subquery(this_year.values("qualified")[:1]))
            .order_by("estate__community__street__district__name", "estate__community__street__name",
                      "estate__community__name", "estate__name", "-elected_on", "pk"))


def _statements(assessment_ids) -> dict:
    assessments = (CommitteeAssessment.objects.filter(pk__in=list(assessment_ids))
                   .select_related("policy").prefetch_related("roster", "scores__criterion"))
    return {a.pk: svc.allowance_statement(a) for a in assessments}


def _rows(committees, year):
    rows = list(committees)
    statements = _statements(c.a_id for c in rows if c.a_id)
    labels = dict(AssessmentStatus.choices)
    for c in rows:
        c.statement = statements.get(c.a_id) or svc.allowance_statement(None, year)
        c.status_label = labels.get(c.a_status, _("未考核"))
    return rows


def street_summary(rows) -> list[dict]:
    """Per street: committees, assessed, confirmed, qualified (confirmed and qualified), the allowance due."""
    out: dict[int, dict] = {}
    for c in rows:
        street = c.estate.community.street
        s = out.setdefault(street.pk, {"street": street, "district": street.district, "committees": 0,
                                       "assessed": 0, "confirmed": 0, "qualified": 0, "allowance": ZERO})
        s["committees"] += 1
        if c.a_id:
            s["assessed"] += 1
        if c.a_status == AssessmentStatus.CONFIRMED:
            s["confirmed"] += 1
            if c.a_qualified:
                s["qualified"] += 1
        s["allowance"] += c.statement.total
    return list(out.values())


EXPORT_HEADERS = (gettext_lazy("区"), gettext_lazy("街道"), gettext_lazy("社区"), gettext_lazy("小区"),
                  gettext_lazy("委员会类型"), gettext_lazy("考核年度"), gettext_lazy("考核状态"), gettext_lazy("得分"),
                  gettext_lazy("考核结果"), gettext_lazy("在任人月"), gettext_lazy("每人每月标准（元）"),
                  gettext_lazy("补贴金额（元）"), gettext_lazy("资金来源"), gettext_lazy("说明"))


class AssessmentListView(LoginRequiredMixin, View):
    """The year's committees with their assessment: a street its own (who is still unassessed), a district
    each street's counts; ?export=xlsx is the allowance list of the same rows (?street= narrows it)."""

    template_name = "communities/assessment_list.html"

    def get(self, request):
        if not sees_assessments(request.user):
            raise not_found()
        today = timezone.localdate()
        year = _year(request, today)
        committees = committees_in_year(request.user, year)
        streets = Street.objects.filter(pk__in=committees.values("estate__community__street")).order_by("name")
        street_id = request.GET.get("street", "")
        if street_id.isdigit():
            committees = committees.filter(estate__community__street_id=int(street_id))
        rows = _rows(committees, year)
        if request.GET.get("export") == "xlsx":
            return self.export(rows, year)
        scope = scope_of(request.user)
        return render(request, self.template_name, {
            "rows": rows, "year": year, "years": list(range(today.year, today.year - 5, -1)),
            "summary": street_summary(rows) if (scope.city or scope.ids("district")) else None,
            "streets": streets, "street_id": street_id, "unassessed": [c for c in rows if not c.a_id],
            "may_assess": svc.assesses_somewhere(request.user), "cap": ALLOWANCE_CAP, "funds": ALLOWANCE_FUNDS,
            "scope": scope,
        })

    @staticmethod
    def export(rows, year):
        body, total, member_months = [], ZERO, 0
        for c in rows:
            st = c.statement
            street = c.estate.community.street
            a = st.assessment
            body.append((street.district.name, street.name, c.estate.community.name, c.estate.name,
                         c.get_kind_display(), year, c.status_label, a.total_points if a else None,
                         (_("合格") if a.qualified else _("不合格")) if a else "", st.member_months, st.rate,
                         st.total, st.funds, st.reason))
            total += st.total
            member_months += st.member_months
        body.append((_("合计"), "", "", _("%(n)d 个委员会") % {"n": len(rows)}, "", None, "", None, "",
                     member_months, None, total, str(ALLOWANCE_FUNDS), ""))
        title = _("%(y)d 年度业委会考核及补贴清单") % {"y": year}
        content = build_workbook(EXPORT_HEADERS, body, sheet=title, title=title)
        return xlsx_response(content, f"{title}.xlsx")


def _roster_formset(data=None, initial=None):
    return RosterFormSet(data, initial=initial, prefix="roster")


class AssessmentCreateView(LoginRequiredMixin, View):
    """The street assesses one committee for a year: the rules (pass mark, items, the allowance, which
    committees are still unassessed) above the form; the service checks everything again."""

    template_name = "communities/assessment_form.html"

    def committee(self, request, pk):
        committee = get_object_or_404(OwnerCommittee.objects.select_related("estate__community__street__district"),
                                      pk=pk)
        if not svc.may_assess(request.user, committee.estate.community.street_id):
            raise not_found()  # another street's committee (or not a street's clerk): it does not exist here
        return committee

    def context(self, request, committee, year, form, roster, today):
        street = committee.estate.community.street
        existing = CommitteeAssessment.objects.filter(committee=committee, year=year).first()
        unassessed = [c for c in committees_in_year(request.user, year).filter(estate__community__street=street)
                      if not c.a_id and c.pk != committee.pk]
        return {"committee": committee, "year": year, "form": form, "roster": roster,
                "policy": form.policy if form else None, "existing": existing, "unassessed": unassessed,
                "term": svc.term_months(committee, year), "cap": ALLOWANCE_CAP, "funds": ALLOWANCE_FUNDS,
                "years": [y for y in range(today.year, today.year - 3, -1) if svc.term_months(committee, y)],
                "scope": scope_of(request.user)}

    def get(self, request, pk):
        committee = self.committee(request, pk)
        today = timezone.localdate()
        year = _year(request, today)
        policy = svc.policy_for(committee.estate.community.street.district_id, today)
        form = AssessmentForm(policy=policy) if policy else None
        roster = _roster_formset(initial=svc.default_roster(committee, year))
        return render(request, self.template_name, self.context(request, committee, year, form, roster, today))

    def post(self, request, pk):
        committee = self.committee(request, pk)
        today = timezone.localdate()
        year = _year(request, today)
        policy = svc.policy_for(committee.estate.community.street.district_id, today)
        if policy is None:
            raise not_found()
        form = AssessmentForm(request.POST, policy=policy)
        roster = _roster_formset(request.POST)
        if form.is_valid() & roster.is_valid():
            try:
                a = svc.assessment_submit(actor=request.user, committee=committee, year=year, scores=form.scores(),
                                          roster=roster_rows(roster), comment=form.cleaned_data["comment"],
                                          today=today)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已提交“%(c)s”%(y)d 年度考核：%(r)s，待区确认。") % {
                    "c": committee, "y": year, "r": _("合格") if a.qualified else _("不合格")})
                return redirect("communities:assessment_detail", pk=a.pk)
        return render(request, self.template_name, self.context(request, committee, year, form, roster, today))


def _assessments_for(user):
    if not sees_assessments(user):
        return CommitteeAssessment.objects.none()
    return CommitteeAssessment.objects.visible_to(user).select_related(
        "committee__estate__community__street__district", "policy", "assessed_by", "confirmed_by")


def detail_context(request, a, *, decision=None) -> dict:
    return {
        "a": a, "scores": a.scores.select_related("criterion").order_by("criterion__order", "criterion_id"),
        "roster": a.roster.all(), "statement": svc.allowance_statement(a), "reason": svc.result_reason(a),
        "events": a.events.select_related("actor").order_by("at", "pk"),
        "actions": svc.allowed_actions(a, request.user), "decision": decision or DecisionForm(),
        "may_correct": svc.may_correct(a, request.user), "history": history_rows(a),
        "months": range(1, 13), "scope": scope_of(request.user),
    }


class AssessmentDetailView(LoginRequiredMixin, View):
    template_name = "communities/assessment_detail.html"

    def get(self, request, pk):
        a = get_object_or_404(_assessments_for(request.user), pk=pk)
        return render(request, self.template_name, detail_context(request, a))


class AssessmentDecisionView(LoginRequiredMixin, View):
    """POST: the district administrator confirms (it counts from then) or returns the assessment."""

    def post(self, request, pk):
        a = get_object_or_404(_assessments_for(request.user), pk=pk)
        action = request.POST.get("action", "")
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                a = svc.assessment_transition(actor=request.user, assessment=a, action=action,
                                              comment=form.cleaned_data["comment"], today=timezone.localdate())
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("“%(c)s”%(y)d 年度考核现为“%(s)s”。") % {
                    "c": a.committee, "y": a.year, "s": a.get_status_display()})
                return redirect("communities:assessment_detail", pk=a.pk)
        a = get_object_or_404(_assessments_for(request.user), pk=pk)
        ctx = detail_context(request, a, decision=form)
        if not ctx["actions"]:
            # The decision form is not on the page (done already, not one's role): say why above.
            messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return render(request, AssessmentDetailView.template_name, ctx)


class AssessmentCorrectView(LoginRequiredMixin, View):
    """The street corrects its assessment before the district confirms it."""

    template_name = "communities/assessment_form.html"

    def assessment(self, request, pk):
        a = get_object_or_404(_assessments_for(request.user), pk=pk)
        if not svc.may_correct(a, request.user):
            raise not_found()
        return a

    def context(self, request, a, form, roster):
        return {"committee": a.committee, "year": a.year, "form": form, "roster": roster, "policy": a.policy,
                "correcting": a, "term": svc.term_months(a.committee, a.year), "cap": ALLOWANCE_CAP,
                "funds": ALLOWANCE_FUNDS, "scope": scope_of(request.user)}

    def get(self, request, pk):
        a = self.assessment(request, pk)
        form = AssessmentForm(policy=a.policy, initial=AssessmentForm.initial_from(a))
        roster = _roster_formset(initial=[{"name": m.name, "position": m.position, "from_month": m.from_month,
                                           "to_month": m.to_month} for m in a.roster.all()])
        return render(request, self.template_name, self.context(request, a, form, roster))

    def post(self, request, pk):
        a = self.assessment(request, pk)
        form = AssessmentForm(request.POST, policy=a.policy)
        roster = _roster_formset(request.POST)
        if form.is_valid() & roster.is_valid():
            try:
                a = svc.assessment_correct(actor=request.user, assessment=a, scores=form.scores(),
                                           roster=roster_rows(roster), comment=form.cleaned_data["comment"],
                                           today=timezone.localdate())
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已更正“%(c)s”%(y)d 年度考核，待区确认。") % {"c": a.committee, "y": a.year})
                return redirect("communities:assessment_detail", pk=a.pk)
        return render(request, self.template_name, self.context(request, a, form, roster))


def committee_assessments(user, committee) -> list:
    """A committee's assessments, newest year first, each with its allowance statement (committee page)."""
    if not sees_assessments(user):
        return []
    rows = list(CommitteeAssessment.objects.visible_to(user).filter(committee=committee)
                .select_related("policy").prefetch_related("roster", "scores__criterion").order_by("-year"))
    for a in rows:
        a.statement = svc.allowance_statement(a)
    return rows


# --- the policy versions ---------------------------------------------------------------------------------------

class PolicyListView(LoginRequiredMixin, View):
    template_name = "communities/assessment_policy_list.html"

    def get(self, request):
        if not sees_assessments(request.user):
            raise not_found()
        policies = (CommitteeAssessmentPolicy.objects.visible_to(request.user).select_related("district", "created_by")
                    .prefetch_related("criteria").order_by("district__name", "-effective_from"))
        return render(request, self.template_name, {
            "policies": policies, "in_force": ids_in_force(CommitteeAssessmentPolicy, timezone.localdate()),
            "editable_districts": list(District.objects.editable_by(request.user).order_by("name")),
            "cap": ALLOWANCE_CAP, "funds": ALLOWANCE_FUNDS, "scope": scope_of(request.user)})


def _first_of_next_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


class PolicyCreateView(LoginRequiredMixin, View):
    """A new version of the district's criteria, pass mark and allowance (its administrators), prefilled
    from the version in force or the portal's defaults."""

    template_name = "communities/assessment_policy_form.html"

    def district(self, request, district_pk):
        return get_object_or_404(District.objects.editable_by(request.user), pk=district_pk)

    def render_form(self, request, district, form, criteria, current):
        return render(request, self.template_name, {"form": form, "criteria": criteria, "district": district,
                                                    "current": current, "cap": ALLOWANCE_CAP,
                                                    "scope": scope_of(request.user)})

    def get(self, request, district_pk):
        district = self.district(request, district_pk)
        today = timezone.localdate()
        current = svc.policy_for(district.pk, today)
        if current:
            initial = {"pass_mark": current.pass_mark, "allowance_per_member": current.allowance_per_member}
            items = [{"title": c.title, "description": c.description, "kind": c.kind, "max_points": c.max_points}
                     for c in current.criteria.all()]
        else:
            initial = {"pass_mark": svc.DEFAULT_PASS_MARK, "allowance_per_member": ALLOWANCE_CAP}
            items = [dict(c) for c in svc.DEFAULT_CRITERIA]
        initial["effective_from"] = _first_of_next_month(today)
        return self.render_form(request, district, PolicyForm(initial=initial),
                                CriterionFormSet(initial=items, prefix="criteria"), current)

    def post(self, request, district_pk):
        district = self.district(request, district_pk)
        form = PolicyForm(request.POST)
        criteria = CriterionFormSet(request.POST, prefix="criteria")
        if form.is_valid() & criteria.is_valid():
            cd = form.cleaned_data
            try:
                policy = svc.policy_create(actor=request.user, district=district, effective_from=cd["effective_from"],
                                           pass_mark=cd["pass_mark"], allowance_per_member=cd["allowance_per_member"],
                                           criteria=criterion_rows(criteria), note=cd.get("note", ""))
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已保存%(d)s业委会考核政策新版本（%(f)s 起生效）。") % {
                    "d": district.name, "f": policy.effective_from})
                return redirect(reverse("communities:assessment_policy_list"))
        return self.render_form(request, district, form, criteria,
                                svc.policy_for(district.pk, timezone.localdate()))
