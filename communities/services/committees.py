"""Writes for owner committees (业主委员会 / 物业管理委员会) and their members.

Each function is keyword-only, runs in one transaction, locks the estate row
and re-checks the actor's scope inside that transaction (the view's check may
be stale by the time the write happens). Rule violations raise
ValidationError with a field -> message dict, so a form can show them.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import CommitteeMember, Estate, FilingStatus, OwnerCommittee

COMMITTEE_FIELDS = ("kind", "elected_on", "term_end", "filing_status", "filed_on", "is_active", "notes")
MEMBER_FIELDS = ("name", "position", "phone")


def committee_rule_errors(*, elected_on: datetime.date | None, term_end: datetime.date | None,
                          filing_status: str | None, filed_on: datetime.date | None,
                          today: datetime.date) -> dict[str, str]:
    """The committee's date and filing rules; field -> message (empty when all hold).

    Forms call this in clean() and the services call it again, so the rule is written once.
    An election or a filing is recorded after it happened: neither date lies after `today`.
    """
    errors: dict[str, str] = {}
    if elected_on and elected_on > today:
        errors["elected_on"] = _("成立（选举）日期不能晚于今天（%(d)s）。") % {"d": today.strftime("%Y-%m-%d")}
    if elected_on and term_end and term_end <= elected_on:
        errors["term_end"] = _("任期届满日期须晚于成立（选举）日期。")
    if filing_status == FilingStatus.FILED and not filed_on:
        errors["filed_on"] = _("备案状态为“已备案”时，须填写备案日期。")
    elif filed_on and filing_status != FilingStatus.FILED:
        errors["filed_on"] = _("仅“已备案”的委员会可填写备案日期。")
    elif filed_on and elected_on and filed_on < elected_on:
        errors["filed_on"] = _("备案日期不能早于成立（选举）日期。")
    elif filed_on and filed_on > today:
        errors["filed_on"] = _("备案日期不能晚于今天（%(d)s）。") % {"d": today.strftime("%Y-%m-%d")}
    return errors


def _active_conflict_message(other: OwnerCommittee | None = None) -> str:
    if other is not None:
        return _("该小区已有在任的%(kind)s（%(date)s 成立），请先将其设为“已卸任”，再保存本委员会为在任。") % {
            "kind": other.get_kind_display(), "date": other.elected_on.strftime("%Y-%m-%d"),
        }
    return _("该小区已有在任的业主委员会或物业管理委员会，请先将其设为“已卸任”。")


def _lock_estate(actor, estate_pk: int) -> Estate:
    estate = Estate.objects.editable_by(actor).select_for_update().filter(pk=estate_pk).first()
    if estate is None:
        raise PermissionDenied(_("该小区不在您的管辖范围内。"))
    return estate


def _check_rules(data: Mapping[str, Any], today: datetime.date) -> None:
    errors = committee_rule_errors(elected_on=data.get("elected_on"), term_end=data.get("term_end"),
                                   filing_status=data.get("filing_status"), filed_on=data.get("filed_on"),
                                   today=today)
    if errors:
        raise ValidationError(errors)


def _check_single_active(estate: Estate, *, exclude_pk: int | None) -> None:
    others = OwnerCommittee.objects.filter(estate=estate, is_active=True)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    other = others.first()
    if other is not None:
        raise ValidationError({"is_active": _active_conflict_message(other)})


def _member_label(name: str, position: str) -> str:
    positions = dict(CommitteeMember._meta.get_field("position").flatchoices)
    return f"{name}（{positions.get(position, position)}）"


def _save_members(committee: OwnerCommittee, members: Sequence[Mapping[str, Any]]) -> list[str]:
    """Apply the member rows (id None = new; delete=True = remove); return change descriptions."""
    existing = {m.pk: m for m in committee.members.all()} if committee.pk else {}
    added, removed, changed = [], [], []
    for row in members:
        member_id = row.get("id")
        member = existing.get(member_id) if member_id else None
        if member_id and member is None:
            raise ValidationError(_("成员记录不属于本委员会，请刷新页面后重试。"))
        if row.get("delete"):
            if member is not None:
                removed.append(_member_label(member.name, member.position))
                member.delete()
            continue
        values = {f: (row.get(f) or "") for f in MEMBER_FIELDS}
        if member is None:
            CommitteeMember.objects.create(committee=committee, **values)
            added.append(_member_label(values["name"], values["position"]))
        elif any(getattr(member, f) != v for f, v in values.items()):
            before = _member_label(member.name, member.position)
            for f, v in values.items():
                setattr(member, f, v)
            member.save()
            changed.append(f"{before} → {_member_label(member.name, member.position)}")
    notes = []
    if added:
        notes.append(_("新增成员：%s") % "、".join(added))
    if removed:
        notes.append(_("移除成员：%s") % "、".join(removed))
    if changed:
        notes.append(_("修改成员：%s") % "、".join(changed))
    return notes


def _integrity_to_validation(exc: IntegrityError) -> ValidationError:
    text = str(exc)
    if "one_active_committee_per_estate" in text or "UNIQUE" in text.upper():
        return ValidationError({"is_active": _active_conflict_message()})
    return ValidationError(_("保存失败：数据不符合约束条件，请检查后重试。"))


def committee_create(*, actor, estate: Estate, data: Mapping[str, Any],
                     members: Sequence[Mapping[str, Any]] = (), today: datetime.date | None = None) -> OwnerCommittee:
    """Record a committee for `estate` with its members."""
    _check_rules(data, today or timezone.localdate())
    try:
        with transaction.atomic():
            estate = _lock_estate(actor, estate.pk)
            committee = OwnerCommittee(estate=estate, **{f: data[f] for f in COMMITTEE_FIELDS if f in data})
            if committee.is_active:
                _check_single_active(estate, exclude_pk=None)
            committee.save()
            notes = _save_members(committee, members)
            if notes:
                # The creation row of the history names the initial members.
                committee.history.filter(history_type="+").update(history_change_reason="；".join(notes))
    except IntegrityError as exc:
        raise _integrity_to_validation(exc) from exc
    return committee


def committee_update(*, actor, committee: OwnerCommittee, data: Mapping[str, Any],
                     members: Sequence[Mapping[str, Any]] = (), today: datetime.date | None = None) -> OwnerCommittee:
    """Change a committee's fields and members; one history row describes the change."""
    _check_rules(data, today or timezone.localdate())
    try:
        with transaction.atomic():
            _lock_estate(actor, committee.estate_id)
            locked = (OwnerCommittee.objects.editable_by(actor).select_for_update()
                      .filter(pk=committee.pk).first())
            if locked is None:
                raise PermissionDenied(_("该委员会不在您的管辖范围内。"))
            changed_fields = False
            for f in COMMITTEE_FIELDS:
                if f in data and getattr(locked, f) != data[f]:
                    setattr(locked, f, data[f])
                    changed_fields = True
            if locked.is_active:
                _check_single_active(locked.estate, exclude_pk=locked.pk)
            notes = _save_members(locked, members)
            if changed_fields or notes:
                locked._change_reason = "；".join(notes) if notes else ""
                locked.save()
    except IntegrityError as exc:
        raise _integrity_to_validation(exc) from exc
    return locked
