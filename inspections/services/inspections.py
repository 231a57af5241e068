"""Inspections: draft -> submitted (locked); a correction supersedes a submitted one."""
from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from accounts.models import User
from communities.models import Estate
from enterprises.credit.writers import credit_for_inspection
from ratings.models import PeriodStatus, RatingPeriod

from ..models import (
    Inspection,
    InspectionKind,
    InspectionPhoto,
    InspectionStatus,
    ItemScore,
    Rubric,
    RubricItem,
    RubricStatus,
)

HALF = Decimal("0.5")
INSPECTING_LEVELS = ("street", "community")


def inspectable_estates(user: User):
    """Estates the user may inspect: street staff in their street, community clerks in their community."""
    return Estate.objects.editable_by(user, levels=INSPECTING_LEVELS)


def issuable_estates(user: User):
    """Estates the user may issue a rectification order for: inspectable ones with a serving firm."""
    return inspectable_estates(user).filter(firm__isnull=False)


def active_rubric_for(estate: Estate, date: datetime.date) -> Rubric:
    rubric = (
        Rubric.objects.filter(district_id=estate.community.street.district_id, year=date.year,
                              status=RubricStatus.ACTIVE)
        .first()
    )
    if rubric is None:
        raise ValidationError(_("%(year)d 年度本区尚未启用评分细则，请联系区管理员。") % {"year": date.year})
    return rubric


def _lock_editable(actor: User, inspection: Inspection) -> Inspection:
    inspection = (
        Inspection.objects.editable_by(actor).select_for_update().filter(pk=inspection.pk).first()
    )
    if inspection is None:
        raise ValidationError(_("该检查不在您的管辖范围内。"))
    if inspection.is_locked:
        raise ValidationError(_("检查已提交，不能修改；如需更正请新建更正检查。"))
    return inspection


def _check_quarter_open(estate: Estate, date: datetime.date) -> None:
    """An inspection counts in its quarter's star rating: once that rating is published for the estate's
    district, the quarter's inspections cannot be added or corrected (DOMAIN.md §5)."""
    if RatingPeriod.objects.filter(district_id=estate.community.street.district_id, year=date.year,
                                   quarter=(date.month - 1) // 3 + 1, status=PeriodStatus.PUBLISHED).exists():
        raise ValidationError(_("%(y)d 年第 %(q)d 季度星级评定结果已公布，检查记录不能再新增或更正；"
                                "如需更正评定结果，请由区住房保障服务中心办理评定结果更正。") % {
            "y": date.year, "q": (date.month - 1) // 3 + 1})


def _check_date(date: datetime.date, today: datetime.date) -> None:
    if date > today:
        raise ValidationError({"date": _("检查日期不能晚于今天。")})


@transaction.atomic
def inspection_start(*, actor: User, estate: Estate, kind: str, date: datetime.date, inspectors: str,
                     overall_comment: str = "", today: datetime.date) -> Inspection:
    """A draft inspection with one empty score row per item of the active rubric (`date` not after `today`)."""
    if not inspectable_estates(actor).filter(pk=estate.pk).exists():
        raise ValidationError(_("该小区不在您的管辖范围内，不能检查。"))
    if kind not in InspectionKind.values:
        raise ValidationError({"kind": _("检查类型无效。")})
    _check_date(date, today)
    if not inspectors.strip():
        raise ValidationError({"inspectors": _("请填写检查人员。")})
    _check_quarter_open(estate, date)
    rubric = active_rubric_for(estate, date)
    inspection = Inspection.objects.create(
        estate=estate, rubric=rubric, kind=kind, date=date, inspectors=inspectors.strip(),
        overall_comment=overall_comment, created_by=actor,
    )
    ItemScore.objects.bulk_create(
        [ItemScore(inspection=inspection, item=item) for item in rubric.items.order_by("category__order", "order")]
    )
    return inspection


def parse_score(raw, item: RubricItem) -> Decimal | None:
    """'' -> None (not yet scored); otherwise 0..max in steps of 0.5, or a Chinese error."""
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError(_("“%(item)s”的得分“%(v)s”不是数字。") % {"item": item.title, "v": raw})
    if not value.is_finite():
        raise ValidationError(_("“%(item)s”的得分“%(v)s”不是数字。") % {"item": item.title, "v": raw})
    if value < 0:
        raise ValidationError(_("“%(item)s”的得分不能为负数。") % {"item": item.title})
    if value > item.max_points:
        raise ValidationError(
            _("“%(item)s”的得分不能超过该项分值 %(max)s 分。") % {"item": item.title, "max": item.max_points}
        )
    if value % HALF:
        raise ValidationError(_("“%(item)s”的得分须为 0.5 的整数倍。") % {"item": item.title})
    return value.quantize(Decimal("0.1"))


@transaction.atomic
def inspection_save(*, actor: User, inspection: Inspection, scores: dict[int, tuple[object, str]],
                    kind: str | None = None, date: datetime.date | None = None, inspectors: str | None = None,
                    overall_comment: str | None = None, today: datetime.date) -> Inspection:
    """Save a draft: header fields and {item_id: (raw score, note)}. All-or-nothing on errors.
    A changed `date` may not be after `today`."""
    inspection = _lock_editable(actor, inspection)
    rows = {s.item_id: s for s in inspection.scores.select_related("item")}
    errors: dict[str, list[str]] = {}
    for item_id, (raw, note) in scores.items():
        row = rows.get(int(item_id))
        if row is None:
            errors.setdefault("__all__", []).append(_("检查项目不属于本次评分细则。"))
            continue
        try:
            row.score = parse_score(raw, row.item)
        except ValidationError as e:
            errors[f"score_{row.item_id}"] = e.messages
        row.note = (note or "")[:500]
    if kind is not None:
        if kind not in InspectionKind.values:
            errors["kind"] = [_("检查类型无效。")]
        inspection.kind = kind
    if date is not None:
        if date > today:
            errors["date"] = [_("检查日期不能晚于今天。")]
        elif date.year != inspection.rubric.year:
            errors["date"] = [_("检查日期须在评分细则年度（%(y)d 年）内。") % {"y": inspection.rubric.year}]
        inspection.date = date
    if inspectors is not None:
        if not inspectors.strip():
            errors["inspectors"] = [_("请填写检查人员。")]
        inspection.inspectors = inspectors.strip()
    if overall_comment is not None:
        inspection.overall_comment = overall_comment
    if errors:
        raise ValidationError(errors)
    ItemScore.objects.bulk_update(list(rows.values()), ["score", "note"])
    inspection.save()
    return inspection


def compute_total(inspection: Inspection) -> Decimal:
    """The sum of the item scores; raises if any item is unscored."""
    scores = list(inspection.scores.select_related("item"))
    missing = [s.item.title for s in scores if s.score is None]
    if missing:
        raise ValidationError(
            _("还有 %(n)d 项未评分：%(items)s") % {"n": len(missing), "items": "、".join(missing[:5])}
        )
    return sum((s.score for s in scores), Decimal("0"))


@transaction.atomic
def inspection_submit(*, actor: User, inspection: Inspection, now: datetime.datetime) -> Inspection:
    """Lock the inspection with its computed total, submitted at `now`; a correction supersedes its original."""
    inspection = _lock_editable(actor, inspection)
    _check_quarter_open(inspection.estate, inspection.date)
    inspection.total = compute_total(inspection)
    inspection.status = InspectionStatus.SUBMITTED
    inspection.submitted_at = now
    inspection.save(update_fields=["total", "status", "submitted_at", "updated_at"])
    if inspection.supersedes_id:
        Inspection.objects.filter(pk=inspection.supersedes_id).update(status=InspectionStatus.SUPERSEDED)
    # Below the credit policy's line: one bad record per estate and quarter (idempotent).
    credit_for_inspection(inspection=inspection, now=inspection.submitted_at)
    return inspection


@transaction.atomic
def inspection_correct(*, actor: User, inspection: Inspection, reason: str) -> Inspection:
    """A new draft correcting a submitted inspection, with its scores copied."""
    original = Inspection.objects.editable_by(actor).select_for_update().filter(pk=inspection.pk).first()
    if original is None:
        raise ValidationError(_("该检查不在您的管辖范围内。"))
    if original.status != InspectionStatus.SUBMITTED:
        raise ValidationError(_("只有已提交的检查可以更正。"))
    if Inspection.objects.filter(supersedes=original).exists():
        raise ValidationError(_("该检查已有更正记录，请在更正记录上继续。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写更正原因。")})
    _check_quarter_open(original.estate, original.date)
    copy = Inspection.objects.create(
        estate=original.estate, rubric=original.rubric, kind=original.kind, date=original.date,
        inspectors=original.inspectors, overall_comment=original.overall_comment, created_by=actor,
        supersedes=original, correction_reason=reason.strip(),
    )
    ItemScore.objects.bulk_create(
        [ItemScore(inspection=copy, item_id=s.item_id, score=s.score, note=s.note) for s in original.scores.all()]
    )
    return copy


def validate_image(upload) -> None:
    """Images only (decoded by Pillow), at most PHOTO_MAX_BYTES."""
    limit = settings.PHOTO_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("照片“%(name)s”超过 %(mb)d MB，请压缩后再上传。") % {"name": upload.name, "mb": limit // (1024 * 1024)}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as img:
            img.verify()
        if (img.format or "").upper() not in {"JPEG", "PNG", "WEBP", "GIF", "HEIC", "MPO"}:
            raise ValidationError(_("照片“%(name)s”格式不支持。") % {"name": upload.name})
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError(_("文件“%(name)s”不是图片。") % {"name": upload.name})
    finally:
        upload.seek(0)


@transaction.atomic
def inspection_add_photos(*, actor: User, inspection: Inspection, images: list, item: RubricItem | None = None,
                          caption: str = "") -> list[InspectionPhoto]:
    inspection = _lock_editable(actor, inspection)
    if item is not None and item.rubric_id != inspection.rubric_id:
        raise ValidationError(_("检查项目不属于本次评分细则。"))
    errors = []
    for upload in images:
        try:
            validate_image(upload)
        except ValidationError as e:
            errors.extend(e.messages)
    if errors:
        raise ValidationError(errors)
    return [
        InspectionPhoto.objects.create(inspection=inspection, item=item, image=upload, caption=caption,
                                       uploaded_by=actor)
        for upload in images
    ]
