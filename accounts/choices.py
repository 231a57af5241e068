"""Choice lists that scale: long lists of estates, firms and communities are searched, not rendered.

A city has 12,000 estates, 3,000 firms and 774 communities; rendering them as
<option>s on every page cost more than the page itself. Instead a field over one
of them renders only its selected option(s) (`RemoteSelect`), and the browser
(static/js/choices.js + the vendored Tom Select) asks `GET /choices/<name>/`
for 20 matches at a time as the user types.

`SOURCES` declares every endpoint once: its label, how it searches and orders,
and its *purposes*. A purpose is the queryset one field offers, the very function
that field's form or filter uses, so the endpoint and the field's validation
share one scope:

    GET /choices/estates/?q=梅&page=1                  visible_to(user) (list filters)
    GET /choices/estates/?purpose=inspect&q=梅         the estates the user may inspect
    GET /choices/firms/?purpose=contract&estate=7      the firms estate 7 may sign with
    GET /choices/estates/?ids=1,2                      labels of kept values, only those in scope
    -> {"results": [{"id": 1, "text": "梅花园（山城街道 · 梅园社区）"}], "more": false}

A purpose's parameters (e.g. `estate`) name an object the user must be able to
edit, looked up in the same scope as the page the field is on; an unknown purpose
is a 404 and a missing or out-of-scope parameter gives no results, so no
parameter can widen a scope. The field itself keeps validating against the full
scoped queryset (a `ModelChoiceField`), so a tampered id is an invalid choice.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.urls import reverse
from django.utils.http import urlencode

PAGE_SIZE = 20
MAX_IDS = 50
MAX_QUERY = 50
MAX_PK = 2**63 - 1  # a bigger number is no id (and would overflow the database's integer)


def as_id(value) -> int | None:
    """'12' -> 12; anything that cannot be a primary key -> None."""
    value = str(value).strip()
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_PK else None


def _param_object(queryset: QuerySet, params, name: str):
    """The object named by parameter `name`, looked up inside `queryset` (a scope), or None."""
    pk = as_id(params.get(name, ""))
    return None if pk is None else queryset.filter(pk=pk).first()


# --- the querysets each purpose offers (the same functions the forms and filters call) ---------------------

def visible_estates(user, params=None):
    from communities.models import Estate

    return Estate.objects.visible_to(user)


def inspect_estates(user, params=None):
    from inspections.services.inspections import inspectable_estates

    return inspectable_estates(user)


def issue_estates(user, params=None):
    from inspections.services.inspections import issuable_estates

    return issuable_estates(user)


def score_estates(user, params=None):
    from ratings.forms import disqualification_estates

    return disqualification_estates(user)


def pilot_estates(user, params):
    from communities.models import District, Estate
    from subsidies.forms import pilot_estate_choices

    district = _param_object(District.objects.editable_by(user), params, "district")
    return Estate.objects.none() if district is None else pilot_estate_choices(district)


def match_estates(user, params):
    from django.utils import timezone

    from communities.models import Estate
    from complaints.forms import match_estate_choices
    from complaints.models import Action, Complaint
    from complaints.services import action_refusal

    # The order as its page finds it (visible_to), and only while this user may triage it.
    complaint = _param_object(Complaint.objects.visible_to(user).select_related("street"), params, "complaint")
    if complaint is None or action_refusal(user, complaint, Action.MATCH, timezone.now()):
        return Estate.objects.none()
    return match_estate_choices(complaint)


def visible_firms(user, params=None):
    from enterprises.models import Firm

    return Firm.objects.visible_to(user)


def contract_firms(user, params):
    from communities.models import Estate
    from enterprises.models import Firm
    from enterprises.services import contract_firm_choices

    # The estate is looked up as the contract page looks it up (enterprises/views/contracts.py).
    estate = _param_object(Estate.objects.editable_by(user), params, "estate")
    return Firm.objects.none() if estate is None else contract_firm_choices(actor=user, estate=estate)


def visible_communities(user, params=None):
    from communities.models import Community

    return Community.objects.visible_to(user)


def edit_communities(user, params=None):
    from communities.models import Community

    return Community.objects.editable_by(user)


@dataclass(frozen=True)
class Purpose:
    queryset: Callable  # (user, params) -> QuerySet
    params: tuple[str, ...] = ()  # query parameters the queryset reads (ids of objects in the user's scope)


@dataclass(frozen=True)
class ChoiceSource:
    label: Callable  # obj -> str, the option's text (also of the option the widget renders)
    related: tuple[str, ...]  # select_related for the label
    order: tuple[str, ...]
    purposes: dict[str, Purpose] = field(default_factory=dict)
    search: str = "name"  # icontains; names starting with the query come first

    def queryset(self, purpose: str, user, params) -> QuerySet:
        return self.purposes[purpose].queryset(user, params)


def estate_label(estate) -> str:
    return f"{estate.name}（{estate.community.street.name} · {estate.community.name}）"


def firm_label(firm) -> str:
    return firm.name


def community_label(community) -> str:
    return f"{community.name}（{community.street.name}）"


VIEW = "view"

# name -> how it is labelled, searched and ordered, and which querysets (purposes) it serves.
SOURCES: dict[str, ChoiceSource] = {
    "estates": ChoiceSource(
        label=estate_label, related=("community__street",),
        order=("name", "community__street__name", "community__name", "pk"),
        purposes={
            VIEW: Purpose(visible_estates),  # list filters
            "inspect": Purpose(inspect_estates),  # 新建检查 on the inspection list
            "issue": Purpose(issue_estates),  # 下发整改通知
            "score": Purpose(score_estates),  # 取消参评 (ratings)
            "pilot": Purpose(pilot_estates, params=("district",)),  # 试点小区 of a subsidy policy
            "match": Purpose(match_estates, params=("complaint",)),  # 分拣 of a complaint (its whole district)
        },
    ),
    "firms": ChoiceSource(
        label=firm_label, related=(), order=("name", "pk"),
        purposes={
            VIEW: Purpose(visible_firms),  # list filters
            "contract": Purpose(contract_firms, params=("estate",)),  # 签订服务合同
        },
    ),
    "communities": ChoiceSource(
        label=community_label, related=("street",), order=("name", "street__name", "pk"),
        purposes={
            VIEW: Purpose(visible_communities),  # list filters
            "edit": Purpose(edit_communities),  # the estate form
        },
    ),
}


def _ids(values, limit: int = MAX_IDS) -> list[int]:
    return [pk for pk in map(as_id, values) if pk is not None][:limit]


def search(source: ChoiceSource, queryset: QuerySet, *, q: str = "", page: int = 1,
           ids: str | None = None) -> dict:
    """One page of matches ({"results": [{"id", "text"}], "more"}), or the labels of `ids` within `queryset`."""
    qs = queryset.select_related(*source.related)
    if ids is not None:
        wanted = _ids(str(ids).split(","))
        rows = list(qs.filter(pk__in=wanted).order_by(*source.order)) if wanted else []
        return {"results": [{"id": o.pk, "text": source.label(o)} for o in rows], "more": False}
    q = q.strip()[:MAX_QUERY]
    order = source.order
    if q:
        qs = qs.filter(**{f"{source.search}__icontains": q}).annotate(
            _prefix=Case(When(**{f"{source.search}__istartswith": q}, then=Value(0)), default=Value(1),
                         output_field=IntegerField()))
        order = ("_prefix", *order)
    start = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(qs.order_by(*order)[start:start + PAGE_SIZE + 1])
    return {"results": [{"id": o.pk, "text": source.label(o)} for o in rows[:PAGE_SIZE]],
            "more": len(rows) > PAGE_SIZE}


# --- the widgets -----------------------------------------------------------------------------------------

class RemoteSelectMixin:
    """A <select> that renders only its selected option(s) (and the empty one); choices.js turns it into
    a type-ahead over /choices/<source>/?purpose=…. The field keeps its whole scoped queryset for validation."""

    def __init__(self, source: str, purpose: str = VIEW, params: dict | None = None, attrs=None):
        if source not in SOURCES or purpose not in SOURCES[source].purposes:
            raise ValueError(f"undeclared choice source {source!r} / purpose {purpose!r}")
        super().__init__(attrs)
        self.source = source
        self.purpose = purpose
        self.params = dict(params or {})

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.params = dict(self.params)
        return result

    def url(self) -> str:
        query = {k: v for k, v in self.params.items() if k in SOURCES[self.source].purposes[self.purpose].params}
        if self.purpose != VIEW:
            query = {"purpose": self.purpose, **query}
        return reverse("choices", args=[self.source]) + ("?" + urlencode(query) if query else "")

    def _selected_choices(self, values):
        """The empty option (when the field has one) and the selected objects, labelled as the endpoint does."""
        iterator = self.choices
        queryset = getattr(iterator, "queryset", None)
        if queryset is None:  # plain choices: nothing to trim
            return list(iterator)
        out = []
        empty_label = getattr(iterator.field, "empty_label", None)
        if empty_label is not None and not self.allow_multiple_selected:
            out.append(("", empty_label))
        ids = _ids(values)
        if ids:
            source = SOURCES[self.source]
            for obj in queryset.filter(pk__in=ids).select_related(*source.related).order_by(*source.order):
                out.append((obj.pk, source.label(obj)))
        return out

    def optgroups(self, name, value, attrs=None):
        whole = self.choices
        self.choices = self._selected_choices(value)
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = whole

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update({"data-choices": self.source, "data-choices-url": self.url()})
        return context


class RemoteSelect(RemoteSelectMixin, forms.Select):
    pass


class RemoteSelectMultiple(RemoteSelectMixin, forms.SelectMultiple):
    pass
