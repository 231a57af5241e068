"""Owner committee pages: list (+ Excel), detail with members and history, create and edit.

Create and edit are for street staff within their street and district
admins within their district: the estate must be in Estate.editable_by(user),
the committee in OwnerCommittee.editable_by(user); anything else is a 404.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, OuterRef, Subquery, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.history import history_rows
from accounts.scope import scope_of
from accounts.views import ScopedDetailView, ScopedListView
from communities.filters.committees import CommitteeFilter
from communities.forms.committees import CommitteeForm, MemberFormSet
from communities.models import CommitteeMember, Estate, OwnerCommittee
from communities.services.assessments import may_assess
from communities.services.committees import committee_create, committee_update
from communities.views.assessments import committee_assessments, sees_assessments


def members_in_rank_order(committee):
    """Chair first, then vice-chairs, then members (the model orders positions alphabetically)."""
    rank = Case(When(position="chair", then=Value(0)), When(position="vice", then=Value(1)), default=Value(2))
    return committee.members.annotate(rank=rank).order_by("rank", "pk")


def _chair_name():
    return Subquery(CommitteeMember.objects.filter(committee=OuterRef("pk"), position="chair")
                    .order_by("pk").values("name")[:1])


def sees_contacts(user, committee) -> bool:
    """Members' phones and the change history: for the government side of the committee's estate (city, its
    district, street or community); a firm serving the estate sees the committee and its members' names
    and positions only."""
    scope = scope_of(user)
    community = committee.estate.community
    return bool(scope.city or community.pk in scope.ids("community") or community.street_id in scope.ids("street")
                or community.street.district_id in scope.ids("district"))


def firm_only(user) -> bool:
    """The user sees committees only as a firm (no government role)."""
    scope = scope_of(user)
    return bool(scope.ids("firm")) and not (scope.city or scope.ids("district") or scope.ids("street")
                                            or scope.ids("community"))


class CommitteeListView(ScopedListView):
    model = OwnerCommittee
    filterset_class = CommitteeFilter
    template_name = "communities/committee_list.html"
    select_related = ("estate__community__street__district",)
    sort_fields = {
        "estate": "estate__name",
        "community": "estate__community__name",
        "street": "estate__community__street__name",
        "elected_on": "elected_on",
        "term_end": "term_end",
        "filing": "filing_status",
        "members": "member_count",
    }
    default_sort = ("-is_active", "estate__community__street__name", "estate__community__name", "estate__name",
                    "-elected_on")
    export_filename = gettext_lazy("业主委员会")
    export_headers = (gettext_lazy("区"), gettext_lazy("街道"), gettext_lazy("社区"), gettext_lazy("小区"),
                      gettext_lazy("类型"), gettext_lazy("成立（选举）日期"), gettext_lazy("任期届满"),
                      gettext_lazy("备案状态"), gettext_lazy("备案日期"), gettext_lazy("在任"),
                      gettext_lazy("主任"), gettext_lazy("成员数"))

    def get_base_queryset(self):
        return super().get_base_queryset().annotate(member_count=Count("members"), chair_name=_chair_name())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["firm_only"] = firm_only(user)
        if ctx["firm_only"]:
            # What a firm sees and why the list may be empty: the estates it serves now (Estate's firm path).
            ctx["served_estates"] = Estate.objects.visible_to(user).count()
        return ctx

    def export_row(self, c):
        street = c.estate.community.street
        return (str(street.district), str(street), str(c.estate.community), str(c.estate),
                c.get_kind_display(), c.elected_on, c.term_end, c.get_filing_status_display(), c.filed_on,
                c.is_active, c.chair_name or "", c.member_count)


class CommitteeDetailView(ScopedDetailView):
    model = OwnerCommittee
    template_name = "communities/committee_detail.html"
    select_related = ("estate__community__street__district",)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        committee = self.object
        ctx["members"] = list(members_in_rank_order(committee))
        ctx["show_contacts"] = sees_contacts(self.request.user, committee)
        ctx["history"] = history_rows(committee) if ctx["show_contacts"] else []
        ctx["can_edit"] = OwnerCommittee.objects.editable_by(self.request.user).filter(pk=committee.pk).exists()
        # The yearly assessments and allowance statements (government side only; a firm sees none).
        ctx["assessments"] = committee_assessments(self.request.user, committee)
        ctx["sees_assessments"] = sees_assessments(self.request.user)
        ctx["may_assess_committee"] = may_assess(self.request.user, committee.estate.community.street_id)
        return ctx


class _CommitteeFormView(LoginRequiredMixin, View):
    template_name = "communities/committee_form.html"

    def render_form(self, request, form, formset, estate, committee=None):
        return render(request, self.template_name, {
            "form": form, "formset": formset, "estate": estate, "committee": committee,
            "scope": scope_of(request.user),
        })

    def save(self, request, form, formset, estate, committee=None):
        if form.is_valid() & formset.is_valid():
            data = {f: form.cleaned_data[f] for f in form.Meta.fields}
            try:
                if committee is None:
                    committee = committee_create(actor=request.user, estate=estate, data=data,
                                                 members=formset.member_rows(), today=timezone.localdate())
                    messages.success(request, _("委员会已创建。"))
                else:
                    committee = committee_update(actor=request.user, committee=committee, data=data,
                                                 members=formset.member_rows(), today=timezone.localdate())
                    messages.success(request, _("委员会信息已保存。"))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("communities:committee_detail", pk=committee.pk)
        return self.render_form(request, form, formset, estate, committee)


class CommitteeCreateView(_CommitteeFormView):
    def get_estate(self, request, estate_pk):
        qs = Estate.objects.editable_by(request.user).select_related("community__street__district")
        return get_object_or_404(qs, pk=estate_pk)

    def get(self, request, estate_pk):
        estate = self.get_estate(request, estate_pk)
        initial = {"is_active": not estate.committees.filter(is_active=True).exists()}
        form = CommitteeForm(initial=initial)
        formset = MemberFormSet(instance=OwnerCommittee(estate=estate), prefix="members")
        return self.render_form(request, form, formset, estate)

    def post(self, request, estate_pk):
        estate = self.get_estate(request, estate_pk)
        form = CommitteeForm(request.POST, instance=OwnerCommittee(estate=estate))
        formset = MemberFormSet(request.POST, instance=OwnerCommittee(estate=estate), prefix="members")
        return self.save(request, form, formset, estate)


class CommitteeUpdateView(_CommitteeFormView):
    def get_committee(self, request, pk):
        qs = OwnerCommittee.objects.editable_by(request.user).select_related("estate__community__street__district")
        return get_object_or_404(qs, pk=pk)

    def get(self, request, pk):
        committee = self.get_committee(request, pk)
        form = CommitteeForm(instance=committee)
        formset = MemberFormSet(instance=committee, prefix="members", queryset=members_in_rank_order(committee))
        return self.render_form(request, form, formset, committee.estate, committee)

    def post(self, request, pk):
        committee = self.get_committee(request, pk)
        # The form works on a copy so a failed save leaves the page's object untouched.
        form = CommitteeForm(request.POST, instance=OwnerCommittee.objects.get(pk=committee.pk))
        formset = MemberFormSet(request.POST, instance=committee, prefix="members",
                                queryset=members_in_rank_order(committee))
        return self.save(request, form, formset, committee.estate, committee)
