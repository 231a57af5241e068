"""Shared by the complaint pages: the scoped queryset, the clocks as a page shows them, the breadcrumbs."""
from __future__ import annotations

import datetime

from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ..models import Complaint, Status

DETAIL_RELATED = (
    "street__district", "estate__community__street__district", "firm", "category", "policy", "created_by",
    "merged_into", "handled_by__firm", "disqualification", "import_run",
)
LIST_RELATED = ("street", "estate__community", "firm", "category")


def complaint_queryset(user, *related):
    """Everything a page reads starts here: what the user may see (404 outside)."""
    return Complaint.objects.visible_to(user).select_related(*(related or DETAIL_RELATED))


def sign_late(c: Complaint, now: datetime.datetime) -> bool:
    """The sign-for clock was marked late, or is running past its due time."""
    return bool(c.sign_overdue or (c.status == Status.ASSIGNED and c.sign_due_at and now >= c.sign_due_at))


def answer_late(c: Complaint, now: datetime.datetime) -> bool:
    return bool(c.answer_overdue or (c.status == Status.SIGNED and c.answer_due_at and now >= c.answer_due_at))


def mark_clocks(rows, now: datetime.datetime):
    """Set `sign_late`, `answer_late`, `sign_running`, `answer_running` on each complaint (no query)."""
    for c in rows:
        c.sign_late = sign_late(c, now)
        c.answer_late = answer_late(c, now)
        c.sign_running = c.status == Status.ASSIGNED and c.sign_due_at is not None
        c.answer_running = c.status == Status.SIGNED and c.answer_due_at is not None
        c.remaining = None
        if c.sign_running:
            c.remaining = remaining(c.sign_due_at, now)
        elif c.answer_running:
            c.remaining = remaining(c.answer_due_at, now)
    return rows


def _span(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d 小时 %(m)d 分钟") % {"h": hours, "m": minutes}
    return _("%(m)d 分钟") % {"m": max(minutes, 1)}


def remaining(due: datetime.datetime | None, now: datetime.datetime) -> str:
    """"剩余 2 天 3 小时" / "已超时 5 小时 10 分钟" (clock time, for a person reading the page)."""
    if due is None:
        return ""
    if now >= due:
        return _("已超时 %(t)s") % {"t": _span(now - due)}
    return _("剩余 %(t)s") % {"t": _span(due - now)}


def safe_next(request, default: str) -> str:
    """A `next` URL on this site (the triage and task pages send their users back), else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default
