"""Reads of the complaints app that are more than one filter: the policy in force, the complainant as a user
may see them, what waits on a user, likely duplicates, and the rates (declared once, computed in SQL)."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from django.apps import apps
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import roles_at, units
from accounts.models import Role
from accounts.scope import scope_of

from .models import Complaint, Satisfaction, Status, TimeLimitPolicy


def policy_for(district_id: int, day: datetime.date) -> TimeLimitPolicy | None:
    """The district's time-limit policy in force on `day` (the latest effective on or before it), or None."""
    return (TimeLimitPolicy.objects.filter(district_id=district_id, effective_from__lte=day)
            .order_by("-effective_from").first())


# --- the complainant, masked outside the handling chain (PIPL) --------------------------------------------

def mask_name(name: str) -> str:
    """张三 -> 张*: the first character and one star (the length is not shown); one character -> *."""
    name = (name or "").strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    return f"{name[0]}*"


PHONE_CHARS = set("0123456789-+ ")


def mask_phone(phone: str) -> str:
    """13812340000 -> 138****0000: the first 3 and last 4 characters; shorter or odd values -> ****."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) < 11 or not set(phone) <= PHONE_CHARS:
        return "****"
    return f"{phone[:3]}****{phone[-4:]}"


def in_handling_chain(user, complaint: Complaint) -> bool:
    """May `user` see the complainant's name and phone? The order's district (administrators and staff), the
    order's street (its staff) and the firm currently handling it (unless the order is confidential). City
    users, community clerks, other firms and a firm that handled it before a reassignment are outside."""
    scope = scope_of(user)
    if scope.is_empty:
        return False
    district_id = complaint.street.district_id
    if any(scope.holds(r, district_id) for r in roles_at("complaints.district", "district")):
        return True
    if complaint.street_id in scope.ids("street", edit=True):
        return True
    if complaint.confidential or not complaint.handled_by_id:
        return False
    handling = complaint.handled_by
    return handling.ended_at is None and handling.firm_id in scope.ids("firm", edit=True)


def complainant_for(user, complaint: Complaint) -> tuple[str, str]:
    """(name, phone) as `user` may see them: in full inside the handling chain, masked (张*, 138****0000) outside."""
    if in_handling_chain(user, complaint):
        return complaint.complainant_name, complaint.complainant_phone
    return mask_name(complaint.complainant_name), mask_phone(complaint.complainant_phone)


# --- what waits on a user ------------------------------------------------------------------------------------

INTAKE = [Status.RECEIVED, Status.DISPATCHED, Status.RETURNED]

# task -> the condition on an order (and the deadline the task is ordered by); who is decided in my_tasks.
TASK_LABELS = {
    "sign": _("待签收"),
    "answer": _("待答复"),
    "assign": _("待派单"),
    "extension": _("延期待审批"),
    "callback": _("待回访"),
    "close": _("待办结"),
    "supervise": _("提请督办"),
}


def my_tasks(user, now: datetime.datetime):
    """What waits on this user, nearest deadline first (orders without a deadline after, oldest first).

    Firm users: orders their firm handles now, to sign for (sign_due_at) or to answer (answer_due_at).
    Street staff: orders of their streets placed on an estate to send to the firm, extension requests to
    decide, answers to call back, callbacks to close or reopen. District administrators and staff: cases
    flagged for supervision and not yet supervised. Each row is annotated with `task` and `due`.
    """
    scope = scope_of(user)
    firms = scope.ids("firm", edit=True)
    streets = scope.by_role.get(Role.STREET_STAFF, frozenset())
    districts = units(user, "complaints.district", "district")
    firm_q = Q(handled_by__firm_id__in=firms, handled_by__ended_at__isnull=True)
    street_q = Q(street_id__in=streets)
    district_q = Q(street__district_id__in=districts)
    when = [
        (firm_q & Q(status=Status.ASSIGNED), "sign", F("sign_due_at")),
        (firm_q & Q(status=Status.SIGNED), "answer", F("answer_due_at")),
        (street_q & Q(status=Status.SIGNED, extension_requested__isnull=False), "extension", F("answer_due_at")),
        (street_q & Q(status__in=INTAKE, estate__isnull=False), "assign", Value(None)),
        (street_q & Q(status=Status.ANSWERED), "callback", Value(None)),
        (street_q & Q(status=Status.CALLED_BACK), "close", Value(None)),
        (district_q & Q(supervision_flagged=True, supervised=False, status__in=Status.open_values()),
         "supervise", Value(None)),
    ]
    if not (firms or streets or districts):
        return Complaint.objects.none()
    any_q = Q(pk__in=[])
    for cond, _task, _due in when:
        any_q |= cond
    return (Complaint.objects.cases().filter(any_q)
            .annotate(task=Case(*(When(cond, then=Value(task)) for cond, task, _due in when)),
                      due=Case(*(When(cond, then=due) for cond, _task, due in when), output_field=DateTimeField()))
            .select_related("estate", "street", "category")
            .order_by(F("due").asc(nulls_last=True), "received_at", "pk"))


def triage_queue(user):
    """Orders the user's streets (or district) must place on an estate (no estate matched), oldest first."""
    return (Complaint.objects.editable_by(user).cases().filter(estate__isnull=True, status__in=INTAKE)
            .select_related("street", "category").order_by("received_at", "pk"))


# --- likely duplicates ------------------------------------------------------------------------------------------

# 0–100 over title + content (rapidfuzz). Chinese is written without spaces, so the scores run lower than for
# spaced text: the same matter told in other words scores about 55–60, another matter of the same category
# about 30–40, an unrelated one under 20. 50 keeps the first and drops the others.
DUPLICATE_SIMILARITY = 50


def _similarity(a: str, b: str) -> int:
    from rapidfuzz import fuzz

    # Chinese text has no spaces between words: partial_ratio finds the shared passage; token_set_ratio
    # serves text with spaces. The better of the two, but a short text must not match everything.
    if min(len(a), len(b)) < 4:
        return int(fuzz.ratio(a, b))
    return int(max(fuzz.token_set_ratio(a, b), fuzz.partial_ratio(a, b)))


def duplicate_candidates(complaint: Complaint, limit: int = 10) -> list[Complaint]:
    """Open cases on the same estate and category received within the policy's duplicate window of this
    order whose text is similar (`.similarity` set on each, highest first). Not merged reports, not itself."""
    if complaint.estate_id is None:
        return []
    policy = complaint.policy or policy_for(complaint.street.district_id,
                                            timezone.localtime(complaint.received_at).date())
    days = datetime.timedelta(days=policy.duplicate_window_days if policy else 7)
    text = f"{complaint.title} {complaint.content}"
    candidates = (Complaint.objects.cases().open()
                  .filter(estate_id=complaint.estate_id, category_id=complaint.category_id,
                          received_at__gte=complaint.received_at - days, received_at__lte=complaint.received_at + days)
                  .exclude(pk=complaint.pk).select_related("street", "category").order_by("-received_at")[:200])
    out = []
    for other in candidates:
        other.similarity = _similarity(text, f"{other.title} {other.content}")
        if other.similarity >= DUPLICATE_SIMILARITY:
            out.append(other)
    out.sort(key=lambda c: (-c.similarity, -c.received_at.timestamp()))
    return out[:limit]


# --- the rates ------------------------------------------------------------------------------------------------

HUNDRED = Decimal(100)
TENTH = Decimal("0.1")
DAY_SECONDS = Decimal(86400)
CLOSED = Q(status=Status.CLOSED)
CONTACTED = Q(callback_contacted=True)

# The counts every rate is made of: name -> (aggregate, its expression, the condition on the counted cases).
# Built afresh per query (one SQL query per grouping); every count is over the orders not excluded.
COUNTS = {
    "received": (Count, "pk", Q()),
    "closed": (Count, "pk", CLOSED),
    "signed": (Count, "pk", Q(signed_at__isnull=False)),
    "signed_on_time": (Count, "pk", Q(signed_at__isnull=False, sign_overdue=False)),
    "closed_on_time": (Count, "pk", CLOSED & Q(answer_overdue=False)),
    "contacted": (Count, "pk", CONTACTED),
    "solved": (Count, "pk", CONTACTED & Q(callback_solved=True)),
    "satisfied": (Count, "pk", CONTACTED & Q(satisfaction=Satisfaction.SATISFIED)),
    "basic": (Count, "pk", CONTACTED & Q(satisfaction=Satisfaction.BASIC)),
    "reopened": (Sum, "reopened_count", Q()),
    "close_time": (Sum, ExpressionWrapper(F("closed_at") - F("received_at"), output_field=DurationField()),
                   CLOSED & Q(closed_at__isnull=False)),
}
NOT_EXCLUDED = Q(excluded="")


def percent(numerator, denominator) -> Decimal | None:
    """numerator / denominator in percent, rounded half-up to 0.1; None when nothing was counted."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _average_days(c: dict, _w) -> Decimal | None:
    if not c["closed"] or c["close_time"] is None:
        return None
    seconds = Decimal(c["close_time"].total_seconds())
    return (seconds / DAY_SECONDS / c["closed"]).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    formula: str
    compute: Callable[[dict, Decimal], Decimal | int | None]
    unit: str = "%"
    target: Decimal | None = None


# The rates, declared once with the formula beside each (shown on the pages as written here). Only cases
# count (reports merged into another case are counted by their case); excluded orders are left out and
# counted apart (`excluded`).
RATES: tuple[Rate, ...] = (
    Rate("handling_rate", _("处理率"), _("已办结件数 ÷ 受理件数"),
         lambda c, w: percent(c["closed"], c["received"]), target=Decimal(100)),
    Rate("sign_rate", _("及时签收率"), _("按时签收件数 ÷ 已签收件数"),
         lambda c, w: percent(c["signed_on_time"], c["signed"])),
    Rate("on_time_rate", _("按时办结率"), _("答复未超时的已办结件数 ÷ 已办结件数"),
         lambda c, w: percent(c["closed_on_time"], c["closed"])),
    Rate("solved_rate", _("解决率"), _("回访已解决件数 ÷ 回访联系上件数"),
         lambda c, w: percent(c["solved"], c["contacted"])),
    Rate("satisfaction_rate", _("满意率"), _("（满意件数 + 权重 × 基本满意件数）÷ 回访联系上件数"),
         lambda c, w: percent(Decimal(c["satisfied"]) + w * Decimal(c["basic"]), c["contacted"])),
    Rate("reopened", _("重办次数"), _("各件重办次数之和"), lambda c, w: c["reopened"] or 0, unit=""),
    Rate("average_days", _("平均办结天数"), _("（办结时间 − 受理时间）的平均值，单位：天"), _average_days,
         unit=_("天")),
)

# grouping -> (the order's column, the model whose names label the rows)
GROUPS = {"street": ("street_id", "communities.Street"), "firm": ("firm_id", "enterprises.Firm"),
          "estate": ("estate_id", "communities.Estate")}


def _row(counts: dict, weight: Decimal, excluded: int) -> dict:
    row = {name: counts.get(name) for name in COUNTS}
    row["reopened"] = row["reopened"] or 0
    for rate in RATES:
        row[rate.key] = rate.compute(row, weight)
    row["excluded"] = excluded
    return row


def _aggregates() -> dict:
    out = {name: agg(expr, filter=NOT_EXCLUDED & cond) for name, (agg, expr, cond) in COUNTS.items()}
    out["excluded_count"] = Count("pk", filter=~NOT_EXCLUDED)
    return out


def rates_by(queryset, group: str | None, weight: Decimal = Decimal(1)) -> list[dict]:
    """The rates of `queryset` (the caller's scope and period) per street, firm or estate, or overall (None).

    One aggregate query, `values(group id).annotate(counts…)`, grouped by the order's own column (no join:
    100,000 orders take about 0.2 s on PostgreSQL), then one query for the names of the groups found.
    Each row: `key` (the group's id, None for orders without one), `label`, every COUNTS value, every RATES
    key and `excluded` (orders left out after review). Rows are in the order of their names.
    """
    weight = Decimal(weight)
    qs = queryset.filter(merged_into__isnull=True).order_by()
    if group is None:
        counts = qs.aggregate(**_aggregates())
        return [{"key": None, "label": str(_("合计")), **_row(counts, weight, counts["excluded_count"])}]
    if group not in GROUPS:
        raise ValueError(f"unknown grouping {group!r}")
    id_field, model_name = GROUPS[group]
    grouped = list(qs.values(id_field).annotate(**_aggregates()))
    ids = [c[id_field] for c in grouped if c[id_field] is not None]
    names = dict(apps.get_model(model_name).objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    unknown = str(_("（未确定）"))
    rows = [{"key": c[id_field], "label": names.get(c[id_field], unknown),
             **_row(c, weight, c["excluded_count"])} for c in grouped]
    rows.sort(key=lambda r: (r["key"] is None, r["label"], r["key"] or 0))
    return rows


def rates_for(queryset, weight: Decimal = Decimal(1)) -> dict:
    """The overall rates of `queryset` (one query)."""
    return rates_by(queryset, None, weight)[0]
