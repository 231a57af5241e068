"""Credit records: the one writer the other apps call, a recording unit's own record, and every step of a
record's life (RECORD_TRANSITIONS; one CreditRecordEvent per step). Keyword-only, one transaction each;
the clock comes in as `now`.

Automatic writers (`credit_record_auto`) run inside the caller's transaction, at the moment the fact
happens: an order marked overdue (inspections), an inspection submitted below 60 (inspections), a
disqualification recorded (ratings; a major complaint disqualifies through it), a yearly re-check confirmed
at 3★ or more (ratings), the third media exposure of a year confirmed (here). One record per rule and
source (`source_key`, unique with the rule code), so rerunning any job adds nothing, also after the record
was withdrawn. A rule the city has switched to manual, or removed, is skipped.
"""
from __future__ import annotations

import datetime
import os

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notices import Place, handoff
from communities.models import Estate
from workdays.selectors import add_working_days

from ..models import (
    CreditAction,
    CreditKind,
    CreditObjection,
    CreditRecord,
    CreditRecordEvent,
    CreditStatus,
    Firm,
    ObjectionStatus,
)
from . import blacklist
from .permissions import (
    Unit,
    confirm_refusal,
    create_refusal,
    deadline_text,
    decide_refusal,
    object_refusal,
    repair_refusal,
    unit_of,
    unit_place,
)
from .policy import MEDIA_EXPOSURE, MEDIA_EXPOSURE_THIRD, add_months, policy_for, rule_for

S = CreditStatus
A = CreditAction
# action -> (statuses it starts from, status it leads to; None: the status stays)
RECORD_TRANSITIONS: dict[str, tuple[frozenset, str | None]] = {
    A.PROPOSE: (frozenset({""}), S.PROPOSED),
    A.NOTIFY: (frozenset({S.PROPOSED}), S.NOTIFIED),
    A.CONFIRM: (frozenset({S.NOTIFIED}), S.CONFIRMED),
    A.OBJECT: (frozenset({S.NOTIFIED, S.CONFIRMED}), None),
    A.DISMISS: (frozenset({S.NOTIFIED, S.CONFIRMED}), None),
    A.WITHDRAW: (frozenset({S.NOTIFIED, S.CONFIRMED}), S.WITHDRAWN),
    A.SOURCE_WITHDRAWN: (frozenset({S.PROPOSED, S.NOTIFIED}), S.WITHDRAWN),
    A.REPAIR: (frozenset({S.CONFIRMED}), S.REPAIRED),
}

DOCUMENT_EXTENSIONS = {"pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "ofd"}
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def _step(record: CreditRecord, action: str, actor: User | None, comment: str = "", *, now: datetime.datetime,
          **fields) -> CreditRecord:
    """One step of a locked record: refuse a step the table does not allow, set the status and the step's
    fields, save, and write the event (dated `now`, the moment the caller passed down)."""
    sources, target = RECORD_TRANSITIONS[action]
    before = record.status if record.pk else ""
    if before not in sources:
        raise ValidationError(_("该信用记录当前状态为“%(s)s”，不能执行此操作。") % {"s": record.get_status_display()})
    if target is not None:
        record.status = target
    for name, value in fields.items():
        setattr(record, name, value)
    record.save()
    event = CreditRecordEvent.objects.create(record=record, action=action, actor=actor, from_status=before,
                                             to_status=record.status, comment=comment)
    CreditRecordEvent.objects.filter(pk=event.pk).update(at=now)  # `at` is auto_now_add on the shared base
    return record


def _locked(record: CreditRecord) -> CreditRecord:
    return (CreditRecord.objects.select_for_update(of=("self",))
            .select_related("firm", "recording_district", "recording_street").get(pk=record.pk))


def record_url(record: CreditRecord) -> str:
    return reverse("enterprises:credit_record", args=[record.pk])


def source_key_of(source: Model) -> str:
    return f"{source._meta.label_lower}:{source.pk}"


def estate_unit(estate: Estate) -> Unit:
    """The portal's own records belong to the district of the estate where the fact happened."""
    district_id = Estate.objects.filter(pk=estate.pk).values_list("community__street__district_id", flat=True).get()
    return Unit(district_id)


def _notify_firm(record: CreditRecord, now: datetime.datetime) -> CreditRecord:
    """Tell the firm of the proposed record and open its objection window (proposed -> notified)."""
    days = policy_for(timezone.localdate(now)).objection_days
    deadline = add_working_days(now, days)
    _step(record, A.NOTIFY, None, now=now, comment=_("异议期至 %(d)s（%(n)d 个工作日）") % {"d": deadline_text(deadline), "n": days},
          notified_at=now, objection_deadline=deadline)
    sign = "+" if record.points > 0 else ""
    handoff("credit.record_notified", place=Place.of(firms=[record.firm_id]), key=str(record.pk),
            title=_("拟记入信用档案：%(t)s") % {"t": record.title[:60]},
            body=_("%(k)s %(s)s%(p)d 分，记录单位：%(u)s。如有异议，请于 %(d)s 前在平台提出。") % {
                "k": record.get_kind_display(), "s": sign, "p": record.points, "u": record.recording_unit_name,
                "d": deadline_text(deadline)},
            url=record_url(record))
    return record


def _create(*, firm_id: int, rule, points: int, title: str, detail: str, occurred_on: datetime.date,
            unit: Unit, estate: Estate | None, recorded_by: User | None, now: datetime.datetime,
            source: Model | None = None, source_key: str = "", document=None) -> CreditRecord:
    record = CreditRecord(
        firm_id=firm_id, rule=rule, rule_code=rule.code, kind=rule.kind, points=points,
        publish_months=rule.publish_months, title=title[:300], detail=detail, estate=estate,
        occurred_on=occurred_on, source_key=source_key,
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=source.pk if source is not None else None,
        recording_district_id=unit.district_id, recording_street_id=unit.street_id, recorded_by=recorded_by,
        recorded_at=now,
    )
    if document is not None:
        record.document = document
        record.document_name = os.path.basename(document.name)[:200]
    _step(record, A.PROPOSE, recorded_by, now=now)
    return _notify_firm(record, now)


def credit_record_auto(*, rule_code: str, firm: Firm | int | None, source: Model, title: str,
                       now: datetime.datetime, estate: Estate | None = None, unit: Unit | None = None,
                       occurred_on: datetime.date | None = None, detail: str = "", key: str | None = None,
                       recorded_by: User | None = None, manual_rule: bool = False) -> CreditRecord | None:
    """The portal's own record of a fact: one per rule and source (or `key`, an occasion such as an
    estate's quarter). Returns the record (the existing one on a rerun), or None when there is no firm,
    or the rule is not in the catalogue in force on the day or not written automatically.

    `unit` defaults to the district of `estate`. Runs in the caller's transaction; the firm is notified.
    """
    firm_id = firm.pk if isinstance(firm, Firm) else firm
    if firm_id is None:
        return None
    occurred_on = occurred_on or timezone.localdate(now)
    key = key or source_key_of(source)
    existing = CreditRecord.objects.filter(rule_code=rule_code, source_key=key).first()
    if existing is not None:
        return existing
    rule = rule_for(rule_code, occurred_on)
    # `manual_rule`: a rule a unit records by hand, written here because the unit recorded the fact with its
    # evidence elsewhere in the portal (a firm sanction's event, enterprises/sanctions/services.py).
    if rule is None or not (rule.automatic or manual_rule):
        return None
    if unit is None:
        if estate is None:
            raise ValueError("credit_record_auto needs an estate or a unit")
        unit = estate_unit(estate)
    try:
        with transaction.atomic():
            return _create(firm_id=firm_id, rule=rule, points=rule.points, title=title, detail=detail,
                           occurred_on=occurred_on, unit=unit, estate=estate, recorded_by=recorded_by, now=now,
                           source=source, source_key=key)
    except IntegrityError:  # a concurrent run wrote it first
        return CreditRecord.objects.get(rule_code=rule_code, source_key=key)


def _check_document(document) -> None:
    if document is None:
        raise ValidationError({"document": _("请上传证明文件（记录单位的认定文书、媒体报道、表彰决定等）。")})
    ext = document.name.rsplit(".", 1)[-1].lower() if "." in document.name else ""
    if ext not in DOCUMENT_EXTENSIONS:
        raise ValidationError({"document": _("证明文件须为 PDF、OFD、图片、Word 或 Excel 文件。")})
    if document.size > DOCUMENT_MAX_BYTES:
        raise ValidationError({"document": _("证明文件不能超过 10 MB。")})


@transaction.atomic
def credit_record_create(*, actor: User, firm: Firm, unit: Unit | None, rule_code: str, points, title: str,
                         detail: str, occurred_on: datetime.date, document, now: datetime.datetime) -> CreditRecord:
    """A recording unit's own record (an award, a media exposure, a serious breach), with its document: the
    rule of the catalogue in force on the day it happened, points inside the rule's range."""
    refusal = create_refusal(actor, firm, unit)
    if refusal:
        raise ValidationError(refusal)
    today = timezone.localdate(now)
    errors = {}
    if occurred_on is None:
        errors["occurred_on"] = _("请填写发生日期。")
    elif occurred_on > today:
        errors["occurred_on"] = _("发生日期不能晚于今天。")
    if not (title or "").strip():
        errors["title"] = _("请填写失信或良好行为的简要事实。")
    if errors:
        raise ValidationError(errors)
    rule = rule_for(rule_code, occurred_on)
    if rule is None:
        raise ValidationError({"rule_code": _("请从发生日期适用的信用规则中选择。")})
    if rule.automatic:
        raise ValidationError({"rule_code": _("“%(r)s”由平台自动记录，不能手工录入。") % {"r": rule.name}})
    try:
        points = int(points)
    except (TypeError, ValueError):
        raise ValidationError({"points": _("分值须为整数。")})
    if not rule.points_min <= points <= rule.points_max:
        raise ValidationError({"points": _("“%(r)s”的分值应在 %(lo)d 至 %(hi)d 之间，收到 %(p)d。") % {
            "r": rule.name, "lo": rule.points_min, "hi": rule.points_max, "p": points}})
    _check_document(document)
    firm = Firm.objects.select_for_update().get(pk=firm.pk)
    return _create(firm_id=firm.pk, rule=rule, points=points, title=title.strip(), detail=(detail or "").strip(),
                   occurred_on=occurred_on, unit=unit, estate=None, recorded_by=actor, now=now, document=document)


@transaction.atomic
def credit_record_confirm(*, actor: User, record: CreditRecord, now: datetime.datetime) -> CreditRecord:
    """确认 by the recording unit: the record counts in the year it is confirmed and is published from today
    for the rule's period. A serious record lists the firm at once; the third media exposure of a year
    writes its serious record."""
    record = _locked(record)
    refusal = confirm_refusal(actor, record)
    if refusal:
        raise ValidationError(refusal)
    today = timezone.localdate(now)
    _step(record, A.CONFIRM, actor, now=now, confirmed_on=today, confirmed_at=now, confirmed_by=actor,
          published_until=add_months(today, record.publish_months))
    if record.kind == CreditKind.SERIOUS:
        blacklist.list_for_record(record=record, today=today)
    if record.rule_code == MEDIA_EXPOSURE:
        _third_media_exposure(record, now)
    return record


def _third_media_exposure(record: CreditRecord, now: datetime.datetime) -> CreditRecord | None:
    """同一年度第三次媒体曝光: serious, once per firm and year, from the exposure that made three."""
    year = record.occurred_on.year
    exposures = CreditRecord.objects.counted().filter(firm_id=record.firm_id, rule_code=MEDIA_EXPOSURE,
                                                      occurred_on__year=year)
    if exposures.count() < 3:
        return None
    return credit_record_auto(
        rule_code=MEDIA_EXPOSURE_THIRD, firm=record.firm_id, source=record, key=f"firm:{record.firm_id}:{year}",
        unit=unit_of(record), occurred_on=record.occurred_on, now=now,
        title=_("%(y)d 年度内第三次被新闻媒体曝光") % {"y": year},
        detail="；".join(exposures.order_by("occurred_on", "pk").values_list("title", flat=True)))


@transaction.atomic
def credit_objection_submit(*, actor: User, record: CreditRecord, reason: str,
                            now: datetime.datetime) -> CreditObjection:
    """异议 by the firm inside the window (once per record); the level above the recording unit is told."""
    record = _locked(record)
    refusal = object_refusal(actor, record, now)
    if refusal:
        raise ValidationError(refusal)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写异议理由。")})
    objection = CreditObjection.objects.create(record=record, reason=reason.strip(), submitted_by=actor,
                                               submitted_at=now)
    _step(record, A.OBJECT, actor, now=now, comment=reason.strip())
    deciding = unit_of(record).above()
    handoff("credit.objection_filed", place=unit_place(deciding), key=str(objection.pk),
            title=_("信用记录异议待处理：%(f)s") % {"f": record.firm.name},
            body=_("%(f)s 对“%(t)s”提出异议：%(r)s") % {"f": record.firm.name, "t": record.title[:60],
                                                   "r": reason.strip()[:120]},
            url=record_url(record), actor=actor)
    return objection


@transaction.atomic
def credit_objection_decide(*, actor: User, objection: CreditObjection, upheld: bool, decision: str,
                            now: datetime.datetime) -> CreditObjection:
    """The level above the recording unit decides, with a reason: upheld withdraws the record (it no longer
    counts, is no longer published, and a listing resting only on it ends today); dismissed keeps it."""
    objection = CreditObjection.objects.select_for_update(of=("self",)).select_related("record").get(pk=objection.pk)
    record = _locked(objection.record)
    objection.record = record
    refusal = decide_refusal(actor, objection)
    if refusal:
        raise ValidationError(refusal)
    if not (decision or "").strip():
        raise ValidationError({"decision": _("请填写处理意见。")})
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection.decision = decision.strip()
    objection.decided_by = actor
    objection.decided_at = now
    objection.save(update_fields=["status", "decision", "decided_by", "decided_at"])
    if upheld:
        _step(record, A.WITHDRAW, actor, now=now, comment=decision.strip(), withdrawn_at=now)
        blacklist.after_record_ended(record=record, today=timezone.localdate(now), actor=actor,
                                     reason=_("信用记录“%(t)s”经异议处理撤销：%(r)s") % {
                                         "t": record.title[:60], "r": decision.strip()})
    else:
        _step(record, A.DISMISS, actor, now=now, comment=decision.strip())
    handoff("credit.objection_decided", place=Place.of(firms=[record.firm_id]), key=str(objection.pk),
            title=_("信用记录异议已处理：%(s)s") % {"s": objection.get_status_display()},
            body=_("“%(t)s”：%(d)s") % {"t": record.title[:60], "d": decision.strip()[:120]}, url=record_url(record),
            actor=actor)
    return objection


@transaction.atomic
def credit_record_repair(*, actor: User, record: CreditRecord, reason: str, now: datetime.datetime) -> CreditRecord:
    """信用修复 decided by the recording unit with a reason: publication ends today (the record still counts in
    the year it was confirmed; a published score never changes); a listing resting only on it ends today."""
    record = _locked(record)
    refusal = repair_refusal(actor, record)
    if refusal:
        raise ValidationError(refusal)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写信用修复的理由。")})
    today = timezone.localdate(now)
    _step(record, A.REPAIR, actor, now=now, comment=reason.strip(), repaired_on=today, repair_reason=reason.strip(),
          repaired_by=actor)
    blacklist.after_record_ended(record=record, today=today, actor=actor,
                                 reason=_("信用记录“%(t)s”已信用修复：%(r)s") % {"t": record.title[:60], "r": reason.strip()})
    handoff("credit.record_repaired", place=Place.of(firms=[record.firm_id]), key=str(record.pk),
            title=_("信用修复：%(t)s") % {"t": record.title[:60]}, body=reason.strip()[:200], url=record_url(record),
            actor=actor)
    return record


def credit_records_source_withdrawn(*, source: Model, reason: str, now: datetime.datetime,
                                    actor: User | None = None) -> int:
    """The source of automatic records was withdrawn before they were confirmed (a disqualification
    recorded in error): they are withdrawn too. A confirmed record stays (the firm may object or the unit
    repair it). Runs in the caller's transaction."""
    ct = ContentType.objects.get_for_model(source)
    n = 0
    for record in (CreditRecord.objects.select_for_update(of=("self",))
                   .filter(source_type=ct, source_id=source.pk, status__in=[S.PROPOSED, S.NOTIFIED])):
        _step(record, A.SOURCE_WITHDRAWN, actor, now=now, comment=reason, withdrawn_at=now)
        n += 1
    return n
