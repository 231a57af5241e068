"""Opinion / satisfaction scores and disqualifications (inputs of the quarterly job)."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from communities.models import Estate
from enterprises.credit.writers import credit_for_disqualification, credit_for_disqualification_withdrawn

from ..models import ComponentKind, ComponentScore, Disqualification, PeriodStatus, RatingPeriod
from .policy import ensure_default_policy, policy_for

SCORE_LEVELS = ("district", "street")


def _scoped_estate(actor: User, estate: Estate) -> Estate:
    found = Estate.objects.editable_by(actor, levels=SCORE_LEVELS).filter(pk=estate.pk).first()
    if found is None:
        raise ValidationError(_("“%(e)s”不在您的管辖范围内。") % {"e": estate.name})
    return found


def _check_open(estate: Estate, year: int, quarter: int) -> None:
    if not 1 <= quarter <= 4:
        raise ValidationError({"quarter": _("季度必须为 1–4。")})
    if RatingPeriod.objects.filter(district_id=estate.community.street.district_id, year=year, quarter=quarter,
                                   status=PeriodStatus.PUBLISHED).exists():
        raise ValidationError(_("%(y)d 年第 %(q)d 季度评定结果已公布，不能再修改。") % {"y": year, "q": quarter})


def parse_component(raw) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, TypeError):
        raise ValidationError(_("得分“%(v)s”不是数字。") % {"v": raw})
    if not value.is_finite() or not Decimal("0") <= value <= Decimal("100"):
        raise ValidationError(_("得分必须在 0 到 100 之间，收到 %(v)s。") % {"v": raw})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(_("得分最多保留两位小数。"))
    return value


@transaction.atomic
def component_set(*, actor: User, estate: Estate, year: int, quarter: int, kind: str, score) -> ComponentScore:
    estate = _scoped_estate(actor, estate)
    if kind not in ComponentKind.values:
        raise ValidationError({"kind": _("得分类型无效。")})
    _check_open(estate, year, quarter)
    value = parse_component(score)
    obj, _created = ComponentScore.objects.update_or_create(
        estate=estate, year=year, quarter=quarter, kind=kind, defaults={"score": value, "entered_by": actor})
    return obj


@dataclass
class ComponentRow:
    line: int
    estate: Estate
    kind: str
    score: Decimal


COMPONENT_HEADERS = ["街道", "社区", "小区名称", "业主及业委会意见得分", "第三方满意度得分"]


@transaction.atomic
def component_import(*, actor: User, year: int, quarter: int, file) -> int:
    """Excel with 街道/社区/小区名称/意见/满意度: every row checked first, all rows or none."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception:
        raise ValidationError(_("文件不是有效的 Excel（.xlsx）文件。"))
    rows = wb.worksheets[0].iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, [])]
    if header[:5] != COMPONENT_HEADERS:
        raise ValidationError(_("表头应为：%(h)s") % {"h": "、".join(COMPONENT_HEADERS)})
    estates = {
        (e.community.street.name, e.community.name, e.name): e
        for e in Estate.objects.editable_by(actor, levels=SCORE_LEVELS).select_related("community__street")
    }
    errors, parsed = [], []
    for line, row in enumerate(rows, start=2):
        if row is None or all(c in (None, "") for c in row):
            continue
        street, community, name, opinion, satisfaction = (list(row) + [None] * 5)[:5]
        key = (str(street or "").strip(), str(community or "").strip(), str(name or "").strip())
        estate = estates.get(key)
        if estate is None:
            errors.append(_("第 %(n)d 行：找不到您管辖范围内的小区“%(e)s”。") % {"n": line, "e": "/".join(key)})
            continue
        for kind, raw in ((ComponentKind.OPINION, opinion), (ComponentKind.SATISFACTION, satisfaction)):
            if raw in (None, ""):
                continue
            try:
                parsed.append(ComponentRow(line, estate, kind, parse_component(raw)))
            except ValidationError as e:
                errors.append(_("第 %(n)d 行：%(m)s") % {"n": line, "m": e.messages[0]})
    for row in parsed:
        try:
            _check_open(row.estate, year, quarter)
        except ValidationError as e:
            errors.append(_("第 %(n)d 行：%(m)s") % {"n": row.line, "m": e.messages[0]})
            break
    if errors:
        raise ValidationError(errors)
    for row in parsed:
        ComponentScore.objects.update_or_create(
            estate=row.estate, year=year, quarter=quarter, kind=row.kind,
            defaults={"score": row.score, "entered_by": actor})
    return len(parsed)


@transaction.atomic
def disqualify(*, actor: User, estate: Estate, year: int, quarter: int, reason: str,
               occurred_on: datetime.date, evidence: str, now: datetime.datetime) -> Disqualification:
    """Record that the estate may not be rated in the quarter; `now` is the moment it is recorded."""
    estate = _scoped_estate(actor, estate)
    _check_open(estate, year, quarter)
    district = estate.community.street.district
    policy = policy_for(district.pk, occurred_on) or ensure_default_policy(district)
    if reason not in (policy.disqualifying_reasons or []):
        raise ValidationError({"reason": _("请从本区规定的取消参评情形中选择。")})
    if not evidence.strip():
        raise ValidationError({"evidence": _("请填写事实与证据。")})
    record = Disqualification.objects.create(estate=estate, year=year, quarter=quarter, reason=reason,
                                             occurred_on=occurred_on, evidence=evidence.strip(), recorded_by=actor)
    # recorded_at is auto_now_add (create() stamps it from the clock): the given moment replaces it.
    record.recorded_at = now
    record.save(update_fields=["recorded_at"])
    # The serving firm's credit file: one bad record per disqualification (idempotent), the firm told of it.
    credit_for_disqualification(disqualification=record, now=now)
    return record


def withdrawal_refusal(user: User, disqualification: Disqualification) -> str | None:
    """Why `user` may not withdraw the record (None: may). Scope is checked by the caller's lookup."""
    if disqualification.withdrawn_at is not None:
        return _("该取消参评记录已于 %(d)s 撤销，不能重复撤销。") % {
            "d": timezone.localtime(disqualification.withdrawn_at).date()}
    estate = disqualification.estate
    if RatingPeriod.objects.filter(district_id=estate.community.street.district_id, year=disqualification.year,
                                   quarter=disqualification.quarter, status=PeriodStatus.PUBLISHED).exists():
        return _("%(y)d 年第 %(q)d 季度评定结果已公布，取消参评记录不能再撤销；如需更正评定结果，"
                 "请由区住房保障服务中心办理评定结果更正。") % {"y": disqualification.year, "q": disqualification.quarter}
    return None


@transaction.atomic
def disqualification_withdraw(*, actor: User, disqualification: Disqualification, reason: str,
                              now: datetime.datetime) -> Disqualification:
    """撤销 a disqualification recorded in error: district or street staff in scope, with a reason, before
    the quarter is published. The record stays (shown struck through); the quarter's computation ignores
    it from then on (an announced quarter changes when the district recomputes it)."""
    record = (Disqualification.objects.editable_by(actor).select_for_update(of=("self",))
              .select_related("estate__community__street").filter(pk=disqualification.pk).first())
    if record is None:
        raise ValidationError(_("该取消参评记录不在您的管辖范围内。"))
    refusal = withdrawal_refusal(actor, record)
    if refusal:
        raise ValidationError(refusal)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写撤销原因。")})
    record.withdrawn_at = now
    record.withdrawn_by = actor
    record.withdrawal_reason = reason.strip()
    record.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    # Its credit record, while not yet confirmed, is withdrawn with it.
    credit_for_disqualification_withdrawn(disqualification=record, reason=reason.strip(), now=now, actor=actor)
    return record


@dataclass
class ComponentChange:
    """One cell of the score-entry table: an estate's opinion or satisfaction score for the quarter."""

    estate: Estate
    kind: str
    score: object  # the raw input; parse_component checks it


def components_set_many(*, actor: User, year: int, quarter: int, changes: list[ComponentChange]) -> int:
    """Save several cells at once, all or nothing: every cell goes through component_set; if any
    is refused, nothing is saved and every refusal is reported with its estate and column."""
    labels = dict(ComponentKind.choices)
    errors = []
    with transaction.atomic():
        for change in changes:
            try:  # component_set is atomic itself: a savepoint, so a refused cell leaves the rest usable
                component_set(actor=actor, estate=change.estate, year=year, quarter=quarter,
                              kind=change.kind, score=change.score)
            except ValidationError as e:
                errors.append(_("%(e)s · %(k)s：%(m)s") % {
                    "e": change.estate.name, "k": labels.get(change.kind, change.kind),
                    "m": "；".join(e.messages)})
        if errors:
            raise ValidationError(errors)  # rolls back the cells already saved
    return len(changes)
