"""Writes to the working-day calendar: entering a year and its days (city administrators only).

Each service is one transaction and asks `may_edit_calendar` first; "you may not" is Django's
PermissionDenied (as in communities.services), "this input is invalid" a ValidationError whose
messages name the field or the pasted line.
"""
from __future__ import annotations

import datetime
import re
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scope import scope_of

from .models import FIRST_YEAR, LAST_YEAR, CalendarDay, CalendarFallback, CalendarSource, CalendarYear, DayKind

BULK_MAX_LINES = 400
# Words accepted for the kind in a pasted line.
KIND_WORDS = {
    "放假": DayKind.HOLIDAY, "休": DayKind.HOLIDAY, "休息": DayKind.HOLIDAY, "holiday": DayKind.HOLIDAY,
    "上班": DayKind.WORKDAY, "班": DayKind.WORKDAY, "调休上班": DayKind.WORKDAY, "workday": DayKind.WORKDAY,
}
DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
NAME_MAX = CalendarDay._meta.get_field("name").max_length


def may_edit_calendar(user) -> bool:
    """The one permission question for every calendar write: city administrators keep the calendar."""
    return scope_of(user).city_admin


def _require_editor(actor: User) -> None:
    if not may_edit_calendar(actor):
        raise PermissionDenied(_("只有市级管理员可以维护工作日历。"))


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError({"year": _("年度须在 %(a)d 至 %(b)d 之间。") % {"a": FIRST_YEAR, "b": LAST_YEAR}})


def _day_problem(day: datetime.date, kind: str, year: int) -> str | None:
    """What is wrong with listing `day` as `kind` in `year` (duplicates are checked by the caller)."""
    if day.year != year:
        return _("日期 %(d)s 不在 %(y)d 年内") % {"d": f"{day:%Y-%m-%d}", "y": year}
    if kind == DayKind.WORKDAY and day.weekday() < 5:
        return _("日期 %(d)s 是周一至周五，本来就是工作日，调休上班日应为周六或周日") % {"d": f"{day:%Y-%m-%d}"}
    return None


def fallback_record(*, year: int) -> CalendarFallback:
    """Remember that deadlines were counted Monday–Friday for `year` (it had not been entered).

    Called by selectors.add_working_days only when that happened; first_used_at is the row's own stamp.
    """
    row, _created = CalendarFallback.objects.get_or_create(year=year)
    return row


@transaction.atomic
def calendar_year_enter(*, actor: User, year: int, now: datetime.datetime, note: str = "") -> CalendarYear:
    """Confirm a year as entered: from now on its deadlines follow its listed days (none yet)."""
    _require_editor(actor)
    _check_year(year)
    if CalendarYear.objects.filter(year=year).exists():
        raise ValidationError({"year": _("%(y)d 年已录入。") % {"y": year}})
    return CalendarYear.objects.create(year=year, entered_by=actor, entered_at=now, source=CalendarSource.MANUAL,
                                       note=note.strip())


def _entered_year(year: int) -> CalendarYear:
    row = CalendarYear.objects.select_for_update().filter(year=year).first()
    if row is None:
        raise ValidationError(_("%(y)d 年尚未录入，请先确认录入该年度或使用批量录入。") % {"y": year})
    return row


@transaction.atomic
def calendar_day_add(*, actor: User, year: int, date: datetime.date, kind: str, name: str = "") -> CalendarDay:
    """Add one holiday or make-up working day to an entered year."""
    _require_editor(actor)
    calendar_year = _entered_year(year)
    if kind not in DayKind.values:
        raise ValidationError({"kind": _("类型无效。")})
    problem = _day_problem(date, kind, year)
    if problem:
        raise ValidationError({"date": problem + _("。")})
    existing = CalendarDay.objects.filter(date=date).first()
    if existing is not None:
        raise ValidationError({"date": _("日期 %(d)s 已录入（%(e)s），如需修改请先删除。")
                               % {"d": f"{date:%Y-%m-%d}", "e": existing}})
    return CalendarDay.objects.create(date=date, kind=kind, name=name.strip()[:NAME_MAX], year=calendar_year)


@transaction.atomic
def calendar_day_delete(*, actor: User, day_id: int) -> None:
    """Remove a listed day (its history is kept)."""
    _require_editor(actor)
    day = CalendarDay.objects.select_for_update().filter(pk=day_id).first()
    if day is None:
        raise ValidationError(_("该日期已不在日历中。"))
    day.delete()


class CalendarLine(NamedTuple):
    number: int  # line number in the pasted text, from 1
    date: datetime.date
    kind: str
    name: str


def parse_calendar_lines(text: str, year: int) -> list[CalendarLine]:
    """Pasted lines `2027-01-01 放假 元旦` / `2027-02-07 上班 春节调休` -> CalendarLine each.

    Every line is checked; all problems are raised together, each naming its line number.
    Empty lines and lines starting with # are skipped.
    """
    rows: list[CalendarLine] = []
    errors: list[str] = []
    seen: dict[datetime.date, int] = {}
    lines = text.splitlines()
    if len(lines) > BULK_MAX_LINES:
        raise ValidationError(_("一次最多录入 %(n)d 行。") % {"n": BULK_MAX_LINES})
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue

        def bad(message, number=number):
            errors.append(_("第 %(n)d 行：%(m)s") % {"n": number, "m": message})

        if len(parts) < 2:
            bad(_("应为“日期 类型 名称”，如“%(y)d-01-01 放假 元旦”") % {"y": year})
            continue
        match = DATE_RE.match(parts[0])
        if match is None:
            bad(_("无法识别日期“%(v)s”，应写作 YYYY-MM-DD") % {"v": parts[0]})
            continue
        try:
            day = datetime.date(*(int(g) for g in match.groups()))
        except ValueError:
            bad(_("日期 %(v)s 不存在") % {"v": parts[0]})
            continue
        kind = KIND_WORDS.get(parts[1].lower())
        if kind is None:
            bad(_("类型“%(v)s”无法识别，应为“放假”或“上班”") % {"v": parts[1]})
            continue
        name = " ".join(parts[2:])
        if len(name) > NAME_MAX:
            bad(_("名称最多 %(n)d 个字") % {"n": NAME_MAX})
            continue
        problem = _day_problem(day, kind, year)
        if problem:
            bad(problem)
            continue
        if day in seen:
            bad(_("日期 %(d)s 与第 %(m)d 行重复") % {"d": f"{day:%Y-%m-%d}", "m": seen[day]})
            continue
        seen[day] = number
        rows.append(CalendarLine(number, day, kind, name))
    if errors:
        raise ValidationError(errors)
    return rows


@transaction.atomic
def calendar_bulk_enter(*, actor: User, year: int, text: str, now: datetime.datetime) -> list[CalendarDay]:
    """Add pasted days to a year, all or nothing; a year not entered yet is entered with them."""
    _require_editor(actor)
    _check_year(year)
    rows = parse_calendar_lines(text, year)
    if not rows:
        raise ValidationError(_("没有可录入的日期，请按“日期 类型 名称”每行填写一天。"))
    calendar_year = CalendarYear.objects.select_for_update().filter(year=year).first()
    if calendar_year is not None:
        existing = {d.date: d for d in CalendarDay.objects.filter(date__in=[r.date for r in rows])}
        errors = [_("第 %(n)d 行：日期 %(d)s 已录入（%(e)s）")
                  % {"n": r.number, "d": f"{r.date:%Y-%m-%d}", "e": existing[r.date]}
                  for r in rows if r.date in existing]
        if errors:
            raise ValidationError(errors)
    else:
        calendar_year = CalendarYear.objects.create(year=year, entered_by=actor, entered_at=now,
                                                    source=CalendarSource.MANUAL)
    # One by one (not bulk_create) so each day gets its history row.
    return [CalendarDay.objects.create(date=r.date, kind=r.kind, name=r.name, year=calendar_year) for r in rows]

