"""Marks on a case: merging repeated reports, flagging repeated complaints, the major complaint (重大投诉).

A major complaint disqualifies the estate from the star rating of the quarter of the day the complaint was
received, through the ratings service (`ratings.services.scores.disqualify`): the record is the ratings
app's, linked both ways (`complaint.disqualification`, `disqualification.complaint`); withdrawing the mark
withdraws it (`disqualification_withdraw`) while the quarter is not published.
"""
from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from ratings.models import PeriodStatus, RatingPeriod
from ratings.services.policy import ensure_default_policy as ensure_rating_policy
from ratings.services.policy import policy_for as rating_policy_for
from ratings.services.scores import disqualification_withdraw, disqualify

from ..models import Action, Complaint, ComplaintEvent
from . import notices
from .flow import OPEN, _locked, _text, _transition, action_refusal
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
                            "n": complaint.number, "t": complaint.title, "r": reason})
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
    of those cases is flagged already: the district is asked once per run of repeated reports."""
    from communities.models import Estate

    estates = {e.pk: e for e in Estate.objects.select_related("community__street__district")
               .filter(pk__in=list(estate_ids))}
    if not estates:
        return {}
    rows = defaultdict(list)
    # Only estates with an open case can flag anything; read their orders from D days before the oldest open one.
    oldest = dict(Complaint.objects.cases().open().filter(estate_id__in=estates).order_by()
                  .values("estate_id").annotate(first=Min("received_at")).values_list("estate_id", "first"))
    if not oldest:
        return {}
    policies = {}
    for estate_id in oldest:
        district = estates[estate_id].community.street.district
        policies[estate_id] = policy_on(district, timezone.localtime(now).date())
    since = min(first - datetime.timedelta(days=policies[e].supervision_days) for e, first in oldest.items())
    for pk, estate_id, received_at, merged_into_id, status, flagged in (
            Complaint.objects.filter(estate_id__in=list(oldest), received_at__gte=since, excluded="")
            .order_by("estate_id", "received_at", "pk")
            .values_list("pk", "estate_id", "received_at", "merged_into_id", "status", "supervision_flagged")):
        rows[estate_id].append((received_at, pk, merged_into_id, status, flagged))
    open_cases = {pk: flagged for pk, flagged in Complaint.objects.cases().open()
                  .filter(estate_id__in=list(oldest)).values_list("pk", "supervision_flagged")}
    out = {}
    for estate_id, orders in rows.items():
        policy = policies[estate_id]
        span = datetime.timedelta(days=policy.supervision_days)
        start = 0
        for end in range(len(orders)):
            while orders[end][0] - orders[start][0] >= span:
                start += 1
            if end - start + 1 < policy.supervision_reports:
                continue
            # The open cases the window's reports belong to (a merged report counts for its case).
            cases = {}
            for received, pk, merged, _status, _flagged in orders[start:end + 1]:
                case = merged if merged is not None else pk
                if case in open_cases:
                    cases[case] = max(received, cases.get(case, received))
            if not cases or any(open_cases[c] or c in out for c in cases):
                continue  # nothing open, or already put before the district
            newest = max(cases, key=lambda c: (cases[c], c))
            out[newest] = estate_id
    return out


def complaints_flag_repeated(*, estate_ids, now: datetime.datetime) -> int:
    """Flag for district supervision (提请区督办) the newest open case wherever the policy's N reports on one estate
    fall within its D days; the district is told once per case. Idempotent; returns how many were flagged."""
    flagged = 0
    for case_id in sorted(_flag_candidates(estate_ids, now)):
        with transaction.atomic():
            case = (Complaint.objects.select_for_update(of=("self",)).select_related("street", "policy", "handled_by")
                    .filter(pk=case_id, supervision_flagged=False).first())
            if case is None or case.status not in OPEN:
                continue
            event = _transition(case, Action.FLAG_REPEATED, actor=None, now=now,
                                comment=_("同一小区在 %(d)d 天内收到 %(n)d 次以上投诉，提请区督办。") % {
                                    "d": case.policy.supervision_days, "n": case.policy.supervision_reports})
            case.supervision_flagged = True
            case.save(update_fields=["supervision_flagged"])
            notices.send(case, levels=notices.HANDOFFS[Action.FLAG_REPEATED], key=f"complaint:{case.pk}:flagged",
                         title=_("投诉工单 %(n)s：同一小区多次投诉，提请区督办") % {"n": case.number},
                         body=event.comment)
            flagged += 1
    return flagged


__all__ = ["complaint_mark_major", "complaint_unmark_major", "complaint_merge", "complaints_flag_repeated",
           "published_quarter_refusal", "quarter_of"]
