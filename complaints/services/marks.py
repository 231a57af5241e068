"""Marks on a case: merging repeated reports, flagging repeated complaints, the major complaint (重大投诉).

A major complaint disqualifies the estate from the star rating of the quarter of the day the complaint was
received, through the ratings service (`ratings.services.scores.disqualify`): the record is the ratings
app's, linked both ways (`complaint.disqualification`, `disqualification.complaint`); withdrawing the mark
withdraws it (`disqualification_withdraw`) while the quarter is not published.
"""
from __future__ import annotations

import datetime
from collections import defaultdict, deque
from itertools import takewhile

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.bulk import chunks
from accounts.models import User
from accounts.notices import Place, handoff
from ratings.models import PeriodStatus, RatingPeriod
from ratings.services.policy import ensure_default_policy as ensure_rating_policy
from ratings.services.policy import policy_for as rating_policy_for
from ratings.services.scores import disqualification_withdraw, disqualify

from ..models import Action, Complaint, ComplaintEvent
from . import notices
from .flow import OPEN, _check_aware, _locked, _text, _transition, action_refusal
from .policy import policy_on

MAJOR_REASON_MARK = "重大投诉"  # the district's disqualifying reason naming major complaints contains this


# --- major complaints ----------------------------------------------------------------------------------------

def quarter_of(complaint: Complaint) -> tuple[int, int]:
    """(year, quarter) of the day the complaint was received (local time)."""
    day = timezone.localtime(complaint.received_at).date()
    return day.year, (day.month - 1) // 3 + 1


def published_quarter_refusal(complaint: Complaint) -> str | None:
    year, quarter = quarter_of(complaint)
    if RatingPeriod.objects.filter(district_id=complaint.street.district_id, year=year, quarter=quarter,
                                   status=PeriodStatus.PUBLISHED).exists():
        return _("%(y)d 年第 %(q)d 季度星级评定结果已公布，不能再认定重大投诉取消参评。") % {"y": year, "q": quarter}
    return None


def _major_reason(complaint: Complaint) -> str:
    """The district's disqualifying reason for major complaints (rating policy data)."""
    district = complaint.street.district
    day = timezone.localtime(complaint.received_at).date()
    policy = rating_policy_for(district.pk, day) or ensure_rating_policy(district)
    for reason in policy.disqualifying_reasons or []:
        if MAJOR_REASON_MARK in reason:
            return reason
    raise ValidationError(_("本区星级评定政策的取消参评情形中没有“重大投诉”一项，请先由区管理员补充。"))


@transaction.atomic
def complaint_mark_major(*, actor: User, complaint: Complaint, reason: str, now: datetime.datetime) -> Complaint:
    """认定重大投诉 (street or district, with a reason): the estate is disqualified for the quarter."""
    complaint = _locked(actor, complaint)
    reason = _text(reason, "reason", _("请填写认定重大投诉的理由。"))
    refusal = action_refusal(actor, complaint, Action.MARK_MAJOR, now)
    if refusal:
        raise ValidationError(refusal)
    year, quarter = quarter_of(complaint)
    record = disqualify(actor=actor, estate=complaint.estate, year=year, quarter=quarter,
                        reason=_major_reason(complaint), occurred_on=timezone.localtime(complaint.received_at).date(),
                        evidence=_("投诉工单 %(n)s“%(t)s”认定为重大投诉：%(r)s") % {
                            "n": complaint.number, "t": complaint.title, "r": reason}, now=now)
    _transition(complaint, Action.MARK_MAJOR, actor=actor, now=now, comment=reason,
                data={"disqualification": record.pk, "year": year, "quarter": quarter})
    complaint.major = True
    complaint.major_reason = reason
    complaint.disqualification = record
    complaint.save(update_fields=["major", "major_reason", "disqualification"])
    return complaint


@transaction.atomic
def complaint_unmark_major(*, actor: User, complaint: Complaint, reason: str, now: datetime.datetime) -> Complaint:
    """撤销重大投诉: the disqualification is withdrawn (before the quarter is published); the record stays."""
    complaint = _locked(actor, complaint)
    reason = _text(reason, "reason", _("请填写撤销重大投诉认定的原因。"))
    _transition(complaint, Action.UNMARK_MAJOR, actor=actor, now=now, comment=reason,
                data={"disqualification": complaint.disqualification_id})
    if complaint.disqualification_id is not None:
        disqualification_withdraw(actor=actor, disqualification=complaint.disqualification, reason=reason, now=now)
    complaint.major = False
    complaint.save(update_fields=["major"])
    return complaint


# --- merging repeated reports --------------------------------------------------------------------------------

@transaction.atomic
def complaint_merge(*, actor: User, case: Complaint, reports, comment: str, now: datetime.datetime) -> Complaint:
    """Merge repeated reports into one case (street): each report keeps its number and complainant, becomes
    已并案 pointing at the case, stops being handled, and closes with the case. Same estate; none closed."""
    reports = list(reports or [])
    if not reports:
        raise ValidationError(_("请选择要并入的工单。"))
    # Lock the case and the reports in primary-key order (two clerks merging crosswise wait, never deadlock).
    ids = sorted({case.pk, *(r.pk for r in reports)})
    if len(ids) != len(reports) + 1:
        raise ValidationError(_("不能把工单并入它自己，或重复选择同一工单。"))
    locked = {pk: _locked(actor, Complaint(pk=pk)) for pk in ids}
    case = locked[case.pk]
    reports = [locked[r.pk] for r in reports]
    if case.merged_into_id is not None or case.status not in OPEN:
        raise ValidationError(_("案件 %(n)s 当前状态为“%(s)s”，不能再并入其他工单。") % {
            "n": case.number, "s": case.get_status_display()})
    refusal = action_refusal(actor, case, Action.MERGE, now)
    if refusal:
        raise ValidationError(refusal)
    if case.estate_id is None:
        raise ValidationError(_("请先确定案件所在小区，再并案。"))
    for report in reports:
        refusal = action_refusal(actor, report, Action.MERGE, now)
        if refusal:
            raise ValidationError(_("工单 %(n)s：%(r)s") % {"n": report.number, "r": refusal})
        if report.estate_id != case.estate_id:
            raise ValidationError(_("工单 %(n)s 与案件不是同一小区，不能并案。") % {"n": report.number})
        if Complaint.objects.filter(merged_into=report).exists():
            raise ValidationError(_("工单 %(n)s 已有并入的工单，请把其他工单并入它，而不是把它并入别的案件。")
                                  % {"n": report.number})
    numbers = []
    for report in reports:
        _transition(report, Action.MERGE, actor=actor, now=now, comment=comment,
                    data={"case": case.pk, "case_number": case.number})
        if report.handled_by_id and report.handled_by.ended_at is None:
            type(report.handled_by).objects.filter(pk=report.handled_by_id).update(ended_at=now)
        report.merged_into = case
        report.extension_requested = None
        report.save(update_fields=["status", "merged_into", "extension_requested"])
        numbers.append(report.number)
    # A report flagged for district supervision hands the flag to its case (the district's queue reads cases).
    if not case.supervision_flagged and any(r.supervision_flagged for r in reports):
        case.supervision_flagged = True
        case.save(update_fields=["supervision_flagged"])
    ComplaintEvent.objects.create(complaint=case, action=Action.MERGE, actor=actor, at=now,
                                  from_status=case.status, to_status=case.status, comment=(comment or "").strip(),
                                  data={"reports": [r.pk for r in reports], "numbers": numbers})
    return case


# --- repeated complaints on one estate -------------------------------------------------------------------------

def _flag_candidates(estate_ids, now) -> dict[int, int]:
    """case id -> estate id of the open cases to flag: per estate, whenever `supervision_reports` reports
    (orders, merged ones included, excluded ones left out) were received within `supervision_days`
    consecutive days, the newest open case among them (a merged report counts for its case) — unless one
    of those cases is flagged already: the district is asked once per run of repeated reports.

    One pass per estate with a sliding window, linear in the estate's reports (an import of 100,000 orders
    reads them once): the window keeps, per open case, how many of its reports it holds, the reports on open
    cases in order, and how many of them belong to a case flagged already (or picked by this pass)."""
    from communities.models import District, Estate

    estate_ids = list(estate_ids)
    # Only estates with an open case can flag anything; read their orders from D days before the oldest open one.
    oldest, open_cases = {}, {}
    for chunk in chunks(estate_ids, 5000):
        opened = Complaint.objects.cases().open().filter(estate_id__in=chunk).order_by()
        oldest.update(opened.values("estate_id").annotate(first=Min("received_at")).values_list("estate_id", "first"))
        open_cases.update(opened.values_list("pk", "supervision_flagged"))
    if not oldest:
        return {}
    district_of = dict(Estate.objects.filter(pk__in=list(oldest)).values_list("pk", "community__street__district_id"))
    day = timezone.localtime(now).date()
    district_policy = {d.pk: policy_on(d, day) for d in District.objects.filter(pk__in=set(district_of.values()))}
    policies = {e: district_policy[d] for e, d in district_of.items()}
    since = min(first - datetime.timedelta(days=policies[e].supervision_days) for e, first in oldest.items())
    out = {}
    for chunk in chunks(sorted(oldest), 500):
        rows = defaultdict(list)
        for estate_id, received_at, pk, merged_into_id in (
                Complaint.objects.filter(estate_id__in=chunk, received_at__gte=since, excluded="")
                .order_by("estate_id", "received_at", "pk")
                .values_list("estate_id", "received_at", "pk", "merged_into_id").iterator(chunk_size=5000)):
            rows[estate_id].append((received_at, merged_into_id if merged_into_id is not None else pk))
        for estate_id, orders in rows.items():
            for case in _window_picks(orders, policies[estate_id], open_cases, out):
                out[case] = estate_id
    return out


def _window_picks(orders, policy, open_cases: dict[int, bool], picked: dict):
    """The cases to flag among one estate's reports [(received, case)], oldest first (see _flag_candidates)."""
    span = datetime.timedelta(days=policy.supervision_days)
    need = policy.supervision_reports
    held = defaultdict(int)    # open case -> its reports in the window
    on_open = deque()          # (received, case) of the window's reports on open cases, oldest first
    blocked = 0                # of those, the reports of a case flagged already or picked
    mine = set()
    start = 0
    for end, (received, case) in enumerate(orders):
        if case in open_cases:
            held[case] += 1
            on_open.append((received, case))
            blocked += bool(open_cases[case] or case in picked or case in mine)
        while received - orders[start][0] >= span:
            gone = orders[start][1]
            if gone in open_cases:
                held[gone] -= 1
                on_open.popleft()
                blocked -= bool(open_cases[gone] or gone in picked or gone in mine)
            start += 1
        if end - start + 1 < need or not on_open or blocked:
            continue  # too few reports, nothing open, or already put before the district
        # The newest open case: the latest report's case (ties on the time: the highest case id).
        last = on_open[-1][0]
        pick = max(c for _r, c in takewhile(lambda item: item[0] == last, reversed(on_open)))
        mine.add(pick)
        blocked += held[pick]
        yield pick


def complaints_flag_repeated(*, estate_ids, now: datetime.datetime) -> int:
    """Flag for district supervision (提请区督办) the newest open case wherever the policy's N reports on one estate
    fall within its D days. Idempotent; returns how many were flagged.

    Set-based, in one transaction (an import may flag thousands), estate by estate in groups of 50 so that
    memory stays flat: the cases are locked, one FLAG_REPEATED event each is written in bulk and the flag set
    with one UPDATE. The flow's rule for this system action is "the case is open", which the locking query
    applies. The district is told once per call: of the case itself when there is one, else one summary
    pointing at its task list (where flagged cases wait)."""
    _check_aware(now)
    flagged = []  # (pk, number, estate id, district id): a few ints and a short string per flagged case
    with transaction.atomic():
        for estates in chunks(sorted(set(estate_ids)), 50):
            candidates = _flag_candidates(estates, now)
            for chunk in chunks(sorted(candidates), 5000):
                flagged += _flag(chunk, now)
        if flagged:
            _tell_district(flagged)
    return len(flagged)


def _flag(case_ids: list[int], now: datetime.datetime) -> list[tuple]:
    rows = list(Complaint.objects.select_for_update(of=("self",))
                .filter(pk__in=case_ids, supervision_flagged=False, status__in=OPEN).order_by("pk")
                .values_list("pk", "status", "number", "estate_id", "street__district_id",
                             "policy__supervision_days", "policy__supervision_reports"))
    text = _("同一小区在 %(d)d 天内收到 %(n)d 次以上投诉，提请区督办。")
    ComplaintEvent.objects.bulk_create(
        [ComplaintEvent(complaint_id=pk, action=Action.FLAG_REPEATED, actor=None, at=now, from_status=status,
                        to_status=status, data={}, comment=text % {"d": days, "n": reports})
         for pk, status, _number, _estate, _district, days, reports in rows], batch_size=2000)
    Complaint.objects.filter(pk__in=[r[0] for r in rows]).update(supervision_flagged=True)
    return [(pk, number, estate, district) for pk, _status, number, estate, district, _d, _r in rows]


def _tell_district(flagged: list[tuple]):
    if len(flagged) == 1:
        case = Complaint.objects.select_related("street", "policy", "handled_by").get(pk=flagged[0][0])
        event = case.events.filter(action=Action.FLAG_REPEATED).last()
        notices.send(case, notices.EVENTS[Action.FLAG_REPEATED], key=str(case.pk),
                     title=_("投诉工单 %(n)s：同一小区多次投诉，提请区督办") % {"n": case.number},
                     body=event.comment)
        return
    by_district = defaultdict(list)
    for row in flagged:
        by_district[row[3]].append(row)
    for district_id, cases in by_district.items():
        numbers = "、".join(number for _pk, number, _e, _d in cases[:5]) + ("等" if len(cases) > 5 else "")
        handoff("complaint.flagged_many", place=Place.of(districts=[district_id]),
                key=f"{district_id}:{cases[0][0]}-{cases[-1][0]}:{len(cases)}",
                title=_("%(c)d 件投诉工单提请区督办（%(e)d 个小区多次投诉）") % {
                    "c": len(cases), "e": len({estate for _pk, _n, estate, _d in cases})},
                body=_("工单 %(numbers)s。请在“我的待办”中逐件督办。") % {"numbers": numbers},
                url=reverse("complaints:tasks"))


__all__ = ["complaint_mark_major", "complaint_unmark_major", "complaint_merge", "complaints_flag_repeated",
           "published_quarter_refusal", "quarter_of"]
