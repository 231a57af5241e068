"""Reads of the subsidies pages: scoped lines, totals aggregated in SQL, the payout list's sections.

Every read starts at `visible_to(user)`: a street sees its district's batches but only its own
street's lines and totals; a firm sees only its own lines. District (and city) users see the whole
batch, and only they see the batch-level figures (total, year to date, budget).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.money import round_half_up
from accounts.scope import scope_of
from accounts.versions import version_in_force
from communities.models import Street
from enterprises.models import Firm

from .models import BatchStatus, PassOn, Payout, PayoutBatch, PayoutKind, SubsidyPolicy
from .services.approvals import TRANSITIONS, pass_on_due

ZERO = Decimal("0.00")
MONEY_OUT = DecimalField(max_digits=14, decimal_places=2)


def sees_whole_batch(user, batch: PayoutBatch) -> bool:
    """District and city users see every line of the batch and its batch-level figures."""
    scope = scope_of(user)
    return scope.city or batch.district_id in scope.ids("district")


def visible_lines(user, batch: PayoutBatch):
    """The batch's lines the user may see (all of them for the district, a street's own, a firm's own)."""
    return Payout.objects.visible_to(user).filter(batch=batch)


def batches_for(user):
    """Batches the user may see, each annotated with the total and line count *the user may see*.

    For a district user these equal the stored batch total and count; for a street or a firm they
    are the sums of its own lines (one subquery each, no N+1).
    """
    mine = Payout.objects.visible_to(user).filter(batch=OuterRef("pk")).order_by().values("batch")
    return (PayoutBatch.objects.visible_to(user).select_related("district")
            .annotate(shown_total=Coalesce(Subquery(mine.annotate(s=Sum("amount")).values("s")[:1]),
                                           Value(ZERO), output_field=MONEY_OUT),
                      shown_count=Coalesce(Subquery(mine.annotate(c=Count("pk")).values("c")[:1]),
                                           Value(0), output_field=IntegerField())))


def line_totals(user, batch: PayoutBatch) -> dict:
    """Total, number of lines, paying lines and zero lines of what the user sees (one query)."""
    agg = visible_lines(user, batch).aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY_OUT), lines=Count("pk"),
        paying=Count("pk", filter=Q(amount__gt=0)), zero=Count("pk", filter=Q(amount=0)),
        adjustments=Count("pk", filter=Q(kind=PayoutKind.ADJUSTMENT)))
    return agg


def totals_by_street(user, batch: PayoutBatch) -> list[dict]:
    """[{street_id, street__name, total, lines, paying}] of the visible lines, summed in SQL."""
    return list(visible_lines(user, batch).order_by().values("street_id", "street__name")
                .annotate(total=Sum("amount"), lines=Count("pk"), paying=Count("pk", filter=Q(amount__gt=0)))
                .order_by("street__name", "street_id"))


def totals_by_firm(user, batch: PayoutBatch) -> list[dict]:
    """[{firm_id, firm__name, total, lines}] of the visible lines with a firm, summed in SQL."""
    return list(visible_lines(user, batch).filter(firm__isnull=False).order_by().values("firm_id", "firm__name")
                .annotate(total=Sum("amount"), lines=Count("pk"))
                .order_by("firm__name", "firm_id"))


@dataclass
class PassOnRow:
    street_id: int
    street_name: str
    firm_id: int
    firm_name: str
    amount: Decimal
    record: PassOn | None = None
    # The amount shown is the sum of the viewer's own lines of the pair; `partial` when that is less than
    # what the street passes on (a community clerk sees its community's part, never the street-wide sum).
    partial: bool = False


def pass_on_rows(user, batch: PayoutBatch) -> list[PassOnRow]:
    """What each street must pass on to each firm, with the recorded payment if any.

    A user is shown the pairs of which they may see at least one line (a street its own firms, a firm
    itself, a community the firms serving its estates), each with the sum of the lines *they* may see: the
    whole (street, firm) sum the service records for district, street and firm users, the community's part
    for a community clerk.
    """
    seen = {(r["street_id"], r["firm_id"]): r["total"] for r in
            visible_lines(user, batch).filter(firm__isnull=False).order_by().values("street_id", "firm_id")
            .annotate(total=Sum("amount"))}
    due = [d for d in pass_on_due(batch) if (d["street_id"], d["firm_id"]) in seen]
    if not due:
        return []
    streets = Street.objects.in_bulk({d["street_id"] for d in due})
    firms = Firm.objects.in_bulk({d["firm_id"] for d in due})
    records = {(p.street_id, p.firm_id): p for p in PassOn.objects.filter(batch=batch).select_related("recorded_by")}
    rows = []
    for d in due:
        key = (d["street_id"], d["firm_id"])
        rows.append(PassOnRow(d["street_id"], streets[d["street_id"]].name, d["firm_id"], firms[d["firm_id"]].name,
                              seen[key], records.get(key), partial=seen[key] != d["amount"]))
    return rows


def budget_use(batch: PayoutBatch) -> list[dict]:
    """Per service year of the batch's lines: paid by earlier batches, this batch, the year's budget.

    The budget counts lines by their service month's year (a January batch settling the previous
    December counts towards the previous year); the budget is the policy's in force on that year's
    1 January (or the batch's policy when none was).
    """
    mine = dict(batch.lines.values_list("month__year").annotate(s=Sum("amount")).order_by())
    years = sorted(set(mine) | {batch.month.year})
    earlier = dict(Payout.objects.filter(batch__district_id=batch.district_id, batch__month__lt=batch.month,
                                         month__year__in=years)
                   .values_list("month__year").annotate(s=Sum("amount")).order_by())
    out = []
    for year in years:
        policy = version_in_force(SubsidyPolicy, batch.district_id, datetime.date(year, 1, 1)) or batch.policy
        budget = policy.yearly_budget
        spent, this = round_half_up(earlier.get(year) or ZERO), round_half_up(mine.get(year) or ZERO)
        out.append({"year": year, "earlier": spent, "this": this, "budget": budget,
                    "over": bool(budget) and spent + this > budget})
    return out


def budget_figures(batch: PayoutBatch) -> dict:
    """The budget panel: the service year that exceeds its budget (else the batch month's year) with what
    earlier batches paid of it, this batch's part, their sum, the budget and what is left."""
    use = budget_use(batch)
    row = next((u for u in use if u["over"]), None) or next(u for u in use if u["year"] == batch.month.year)
    budget, with_this = row["budget"], row["earlier"] + row["this"]
    return {
        "year": row["year"], "earlier": row["earlier"], "this": row["this"], "with_this": with_this,
        "budget": budget, "left": budget - with_this if budget else None,
        "over": with_this - budget if budget and with_this > budget else None,
        "percent": min(int(with_this * 100 / budget), 100) if budget else None,
    }


# --- the payout list (Excel): sections per street with Decimal subtotals -----------------------------------

@dataclass
class Section:
    street_id: int
    street_name: str
    lines: list = field(default_factory=list)
    subtotal: Decimal = ZERO


@dataclass
class PayoutList:
    """The payout list is for paying: `sections` hold the lines with a non-zero amount (a negative adjustment
    recovers money, so it is paid too), `zero_lines` the lines of 0.00 with their reason, apart."""

    batch: PayoutBatch
    sections: list[Section]
    grand_total: Decimal
    zero_lines: list = field(default_factory=list)


def payout_list(user, batch: PayoutBatch) -> PayoutList:
    """The visible lines grouped per street (street name, then community, estate), with subtotals and the
    grand total added up here in Decimal: the file carries these values, to the fen, not formulas. Zero
    lines are kept apart in the same order (they add nothing to any subtotal)."""
    lines = (visible_lines(user, batch)
             .select_related("street", "estate__community", "firm", "adjusts__batch")
             .order_by("street__name", "street_id", "estate__community__name", "estate__name", "kind", "pk"))
    sections: list[Section] = []
    zero = []
    for line in lines:
        if line.amount == 0:
            zero.append(line)
            continue
        if not sections or sections[-1].street_id != line.street_id:
            sections.append(Section(line.street_id, line.street.name))
        sections[-1].lines.append(line)
        sections[-1].subtotal += line.amount
    grand = sum((s.subtotal for s in sections), ZERO)
    return PayoutList(batch=batch, sections=sections, grand_total=grand, zero_lines=zero)


# --- who signed off a batch (the approval slip and the payout list's signature block) ----------------------

B = BatchStatus
# Statuses at or past each step: the step's record is shown only while the batch has not been sent back.
PAST_CHECK = (B.CHECKED, B.APPROVED, B.DISBURSED, B.COMPLETED)
PAST_APPROVAL = (B.APPROVED, B.DISBURSED, B.COMPLETED)


def last_event(events, *, to_status, from_status=None):
    """The latest event reaching `to_status` (from `from_status` if given), or None."""
    found = None
    for event in events:
        if event.to_status == to_status and (from_status is None or event.from_status == from_status):
            found = event
    return found


@dataclass
class SignOffs:
    """The platform's record of each signature line: the batch was generated (by the system) at
    `generated_at`; `checked` and `approved` are the events (with `actor` and `at`) of the check and the
    approval still standing, None when the step has not happened or was sent back since."""

    generated_at: datetime.datetime
    checked: object = None
    approved: object = None


def batch_sign_offs(batch: PayoutBatch, events=None) -> SignOffs:
    """Who checked and approved `batch`, from its events (read here, with the actors, unless given)."""
    if events is None:
        events = list(batch.events.select_related("actor").order_by("at", "pk"))
    checked = last_event(events, to_status=B.CHECKED, from_status=B.GENERATED)
    approved = last_event(events, to_status=B.APPROVED)
    return SignOffs(generated_at=batch.generated_at,
                    checked=checked if batch.status in PAST_CHECK else None,
                    approved=approved if batch.status in PAST_APPROVAL else None)


# --- a firm's (or a street's) own subsidies across months ---------------------------------------------------

def my_lines(user):
    """Every line the user may see, newest batch first."""
    return (Payout.objects.visible_to(user)
            .select_related("batch__district", "estate__community", "street", "firm", "adjusts__batch")
            .order_by("-batch__month", "street__name", "estate__name", "month", "kind", "pk"))


def my_totals_by_estate(user) -> list[dict]:
    """Per estate: the service months with a line (not batches: a batch after a rating is published pays the
    quarter's deferred months at once), the user's total across months (SQL)."""
    return list(Payout.objects.visible_to(user).order_by()
                .values("estate_id", "estate__name", "estate__community__name", "street__name")
                .annotate(total=Sum("amount"), months=Count("month", distinct=True))
                .order_by("street__name", "estate__name", "estate_id"))


@dataclass
class PassOnShown:
    """A street's payment to a firm as one viewer sees it: the record's date and voucher, and `amount`, the
    sum of the viewer's own lines it paid (`partial` when the record paid more than those lines: a
    community clerk sees its community's part, not the street-wide sum)."""

    record: PassOn
    amount: Decimal
    partial: bool


def my_batches(user) -> list[dict]:
    """我的补贴 per batch (the month it is paid in), as this viewer sees it: `lines`, `paying` and `total` of
    the viewer's own lines, `pass_ons` (PassOnShown of the viewer's pairs), and `status_key` /
    `status_label`, the batch's state *for the viewer*:

    - 已拨付街道 (disbursed) while the street has not passed on any of what it owes for the viewer's lines,
    - 已拨付企业 (completed) once every (street, firm) pair of the viewer's lines with money in it is passed
      on, even while other streets of the batch still owe theirs (the batch itself is completed only then),
    - 部分已拨付企业 (k/n) in between (a street user's firms, a firm served in two streets);
    - before disbursement, and for a viewer with nothing to pass on, the batch's own state.

    Two queries (three for a community clerk), whatever the number of batches."""
    rows = list(Payout.objects.visible_to(user).order_by()
                .values("batch_id", "batch__month", "batch__status", "batch__district__name", "street_id", "firm_id")
                .annotate(total=Sum("amount"), lines=Count("pk"), paying=Count("pk", filter=Q(amount__gt=0))))
    if not rows:
        return []
    months: dict[int, dict] = {}
    parts: dict[tuple, Decimal] = {}
    for r in rows:
        m = months.setdefault(r["batch_id"], {
            "batch_id": r["batch_id"], "batch__month": r["batch__month"], "batch__status": r["batch__status"],
            "batch__district__name": r["batch__district__name"], "total": ZERO, "lines": 0, "paying": 0})
        m["total"] += r["total"]
        m["lines"] += r["lines"]
        m["paying"] += r["paying"]
        if r["firm_id"] is not None:
            parts[(r["batch_id"], r["street_id"], r["firm_id"])] = r["total"]
    batch_ids = list(months)
    streets, firms = {k[1] for k in parts}, {k[2] for k in parts}
    # The whole (street, firm) sums the street passes on. A street or firm user sees every line of each of
    # its pairs, so its part is the whole; only a community clerk's part may be less (other communities of
    # the street served by the same firm), and only then are the whole sums read.
    scope = scope_of(user)
    if scope.ids("community"):
        whole = {(r["batch_id"], r["street_id"], r["firm_id"]): r["total"] for r in
                 Payout.objects.filter(batch_id__in=batch_ids, street_id__in=streets, firm_id__in=firms).order_by()
                 .values("batch_id", "street_id", "firm_id").annotate(total=Sum("amount"))}
    else:
        whole = parts
    # What the street passes on for the viewer's lines: pairs with money both in the viewer's part and in
    # the whole pair (pass_on_due: a pair summing to zero is not passed on).
    due = {key for key, part in parts.items() if part and whole.get(key)}
    shown: dict[int, list[PassOnShown]] = {}
    recorded: dict[int, int] = {}
    for p in (PassOn.objects.filter(batch_id__in=batch_ids, street_id__in=streets, firm_id__in=firms)
              .select_related("firm", "street").order_by("paid_on", "pk")):
        key = (p.batch_id, p.street_id, p.firm_id)
        if key not in parts:
            continue
        shown.setdefault(p.batch_id, []).append(PassOnShown(p, parts[key], parts[key] != p.amount))
        recorded[p.batch_id] = recorded.get(p.batch_id, 0) + (key in due)
    owed: dict[int, int] = {}
    for key in due:
        owed[key[0]] = owed.get(key[0], 0) + 1
    out = sorted(months.values(), key=lambda m: (-m["batch__month"].toordinal(), m["batch__district__name"]))
    for m in out:
        batch_id, status = m["batch_id"], BatchStatus(m["batch__status"])
        m["pass_ons"] = shown.get(batch_id, [])
        n, k = owed.get(batch_id, 0), recorded.get(batch_id, 0)
        if status in (BatchStatus.DISBURSED, BatchStatus.COMPLETED) and n:
            if k >= n:
                status = BatchStatus.COMPLETED
            elif k:
                m["status_key"], m["status_label"] = BatchStatus.DISBURSED.value, _(
                    "部分已拨付企业（%(k)d/%(n)d）") % {"k": k, "n": n}
                continue
            else:
                status = BatchStatus.DISBURSED
        m["status_key"], m["status_label"] = status.value, status.label
    return out


def current_policies(districts) -> dict:
    """{district_id: the latest SubsidyPolicy} for a few districts (one query)."""
    out = {}
    for p in SubsidyPolicy.objects.filter(district__in=districts).order_by("district_id", "-effective_from"):
        out.setdefault(p.district_id, p)
    return out


# --- what waits on a user (the menu's 待办, accounts/menu.py) ----------------------------------------------

def batches_awaiting(user, action: str):
    """Batches in the state `action` starts from (services/approvals.py TRANSITIONS), in the districts where
    the user holds a role that may take it: e.g. "check" -> 已生成 batches for the district's staff and
    administrators, "approve" -> 已审核 batches for its administrators only."""
    sources, _target, roles = TRANSITIONS[action]
    scope = scope_of(user)
    districts = set().union(*(scope.by_role.get(role, ()) for role in roles))
    return PayoutBatch.objects.filter(status__in=sources, district_id__in=districts)


def batches_to_pass_on(user):
    """Batches disbursed to the streets (已拨付街道) in which one of the user's streets still owes a firm a
    non-zero sum it has not recorded as passed on (services/approvals.pass_on_due, pass_on_record)."""
    streets = scope_of(user).by_role.get(Role.STREET_STAFF, frozenset())
    recorded = PassOn.objects.filter(batch=OuterRef("batch"), street=OuterRef("street"), firm=OuterRef("firm"))
    owed = (Payout.objects.filter(batch=OuterRef("pk"), street_id__in=streets, firm__isnull=False)
            .exclude(Exists(recorded)).order_by().values("street_id", "firm_id")
            .annotate(total=Sum("amount")).exclude(total=0))
    return PayoutBatch.objects.filter(status=BatchStatus.DISBURSED).filter(Exists(owed))


def firm_year_figures(user, year: int) -> dict:
    """This year's subsidy of the user's firms: `received`, what the streets recorded as passed on to them
    (PassOn, paid in `year`), and `due`, the sum of their lines in batches of `year`'s months whatever the
    batch's state, each with the number of rows behind it. Two aggregate queries, scoped by visible_to."""
    received = PassOn.objects.visible_to(user).filter(paid_on__year=year).aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY_OUT), count=Count("pk"))
    due = Payout.objects.visible_to(user).filter(batch__month__year=year).aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY_OUT), count=Count("pk"))
    return {"year": year, "received": received["total"], "received_count": received["count"],
            "due": due["total"], "due_lines": due["count"]}


def street_rows(user, batch: PayoutBatch) -> list[dict]:
    """[{street_id, street__name, estates, lines, total}] of the lines the user sees, one aggregate query."""
    return list(visible_lines(user, batch).order_by().values("street_id", "street__name")
                .annotate(estates=Count("estate", distinct=True), lines=Count("pk"), total=Sum("amount"))
                .order_by("street__name", "street_id"))
