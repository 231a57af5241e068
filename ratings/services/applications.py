"""Applications (申报): firm applies -> street reviews and reports -> district accepts."""
from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notices import Place, handoff
from accounts.scope import scope_of
from communities.models import Estate
from enterprises.models import Firm, firm_is_blacklisted
from enterprises.sanctions.selectors import application_refusal as sanction_refusal

from ..models import Application, ApplicationAttachment, ApplicationEvent, ApplicationStatus
from .policy import application_window, ensure_default_policy, policy_for
from .uploads import evidence_refusal, kept_files, pending_uploads_release

A = ApplicationStatus
# action -> (from statuses, to status, who)
TRANSITIONS = {
    "report": (frozenset({A.SUBMITTED}), A.REPORTED, "street"),
    "return": (frozenset({A.SUBMITTED, A.REPORTED}), A.RETURNED, "reviewer"),
    "accept": (frozenset({A.REPORTED}), A.ACCEPTED, "district"),
    "reject": (frozenset({A.REPORTED}), A.REJECTED, "district"),
}
# action -> the event of accounts.notices.HANDOFFS it is (who is told)
NOTICE_EVENTS = {"report": "application.reported", "return": "application.returned",
                 "accept": "application.accepted", "reject": "application.rejected"}


def _may(user: User, app: Application, who: str) -> bool:
    scope = scope_of(user)
    if scope.city_admin:
        return True
    street_ok = app.estate.community.street_id in scope.ids("street", edit=True)
    district_ok = app.estate.community.street.district_id in scope.ids("district", edit=True)
    return {"street": street_ok, "district": district_ok,
            "reviewer": (street_ok and app.status == A.SUBMITTED) or (district_ok and app.status == A.REPORTED)}[who]


def allowed_actions(app: Application, user: User) -> list[str]:
    return [a for a, (src, _to, who) in TRANSITIONS.items() if app.status in src and _may(user, app, who)]


def _check_evidence(files) -> None:
    for f in files or []:
        refusal = evidence_refusal(f)
        if refusal:
            raise ValidationError(refusal)


@transaction.atomic
def application_submit(*, actor: User, firm: Firm, estates: list[Estate], year: int, statement: str = "",
                       files: list | None = None, kept: list | None = None,
                       today: datetime.date) -> list[Application]:
    """Apply for several estates at once: all are accepted or none (a clear reason per refusal).

    `today` is the day of the application: the district's window and the blacklist are checked against it.
    `kept`: the actor's PendingUploads from an earlier refused form (services/uploads.py), attached like
    `files` and removed once the applications exist."""
    if any(u.owner_id != actor.pk for u in kept or []):
        raise ValidationError(_("暂存附件无效，请重新选择文件。"))
    with kept_files(kept) as reopened:
        apps = _submit(actor=actor, firm=firm, estates=estates, year=year, statement=statement,
                       files=[*(files or []), *reopened], today=today)
    pending_uploads_release(kept or [])
    return apps


def _submit(*, actor: User, firm: Firm, estates: list[Estate], year: int, statement: str, files: list,
            today: datetime.date) -> list[Application]:
    if firm.pk not in scope_of(actor).ids("firm", edit=True):
        raise ValidationError(_("只能以本企业名义申报。"))
    if not estates:
        raise ValidationError(_("请至少选择一个小区。"))
    if firm_is_blacklisted(firm.pk, today):
        raise ValidationError(_("贵企业已被列入失信黑名单，不能申报星级评定。"))
    _check_evidence(files)
    errors, created = [], []
    for estate in Estate.objects.select_for_update().select_related("community__street").filter(
            pk__in=[e.pk for e in estates]):
        if estate.firm_id != firm.pk:
            errors.append(_("“%(e)s”不是贵企业服务的小区。") % {"e": estate.name})
            continue
        district = estate.community.street.district
        policy = policy_for(district.pk, today) or ensure_default_policy(district)
        sanctioned = sanction_refusal(firm.pk, district.pk, year)
        if sanctioned:
            errors.append(_("“%(e)s”：%(r)s") % {"e": estate.name, "r": sanctioned})
            continue
        start, end = application_window(policy, year)
        if not start <= today <= end:
            errors.append(_("“%(e)s”所在区 %(y)d 年度申报时间为 %(s)s 至 %(t)s，当前不在申报期内。") % {
                "e": estate.name, "y": year, "s": start, "t": end})
            continue
        if Application.objects.filter(estate=estate, year=year,
                                      status__in=[A.SUBMITTED, A.REPORTED, A.ACCEPTED]).exists():
            errors.append(_("“%(e)s”%(y)d 年度已申报。") % {"e": estate.name, "y": year})
            continue
        created.append(estate)
    if errors:
        raise ValidationError(errors)
    apps = []
    try:
        for estate in created:
            app = Application.objects.create(firm=firm, estate=estate, year=year, statement=statement,
                                             submitted_by=actor)
            event = ApplicationEvent.objects.create(application=app, actor=actor, to_status=A.SUBMITTED,
                                                    comment=statement)
            for f in files or []:
                f.seek(0)
                ApplicationAttachment.objects.create(application=app, file=f, name=f.name[:200], uploaded_by=actor)
            apps.append(app)
            _notice(app, "application.submitted", event, actor)
    except IntegrityError:
        raise ValidationError(_("同一小区同一年度只能有一份有效申报。"))
    return apps


def _notice(app: Application, event_name: str, event: ApplicationEvent, actor: User) -> int:
    """Tell whoever HANDOFFS names for this step of the application (once per event row, never the actor)."""
    street = app.estate.community.street
    title = {
        "application.submitted": _("%(f)s 提交了“%(e)s”%(y)d 年度星级评定申报，请审核"),
        "application.reported": _("%(s)s 上报了“%(e)s”%(y)d 年度星级评定申报，请受理"),
        "application.accepted": _("“%(e)s”%(y)d 年度星级评定申报已受理"),
        "application.returned": _("“%(e)s”%(y)d 年度星级评定申报被退回"),
        "application.rejected": _("“%(e)s”%(y)d 年度星级评定申报不予受理"),
    }[event_name] % {"f": app.firm.name, "s": street.name, "e": app.estate.name, "y": app.year}
    return handoff(event_name, place=Place.of(firms=[app.firm_id], streets=[street.pk],
                                              districts=[street.district_id]),
                   key=str(event.pk), title=title, body=event.comment[:500],
                   url=reverse("ratings:application_detail", args=[app.pk]), actor=actor)


@transaction.atomic
def application_transition(*, actor: User, application: Application, action: str, comment: str = "") -> Application:
    app = Application.objects.select_for_update().select_related("estate__community__street").get(pk=application.pk)
    if action not in TRANSITIONS:
        raise ValidationError(_("未知操作。"))
    sources, target, who = TRANSITIONS[action]
    if app.status not in sources:
        raise ValidationError(_("申报当前状态为“%(s)s”，不能执行此操作。") % {"s": app.get_status_display()})
    if not _may(actor, app, who):
        raise ValidationError(_("您无权对该申报执行此操作。"))
    if action in ("return", "reject") and not comment.strip():
        raise ValidationError({"comment": _("退回或不予受理时请填写原因。")})
    event = ApplicationEvent.objects.create(application=app, actor=actor, from_status=app.status, to_status=target,
                                            comment=comment.strip())
    app.status = target
    app.save(update_fields=["status"])
    _notice(app, NOTICE_EVENTS[action], event, actor)
    return app


def applications_transfer(*, actor: User, estate: Estate, firm: Firm, since: datetime.date) -> int:
    """The new serving firm takes over the estate's live applications of `since`'s year and later (DOMAIN.md §5:
    the rating belongs to the estate). Each transfer is an event on the application's timeline; the status is
    unchanged. Called inside the contract signing's transaction; returns how many were transferred."""
    moved = 0
    live = (Application.objects.select_for_update().filter(estate=estate, year__gte=since.year)
            .filter(status__in=[A.SUBMITTED, A.REPORTED, A.ACCEPTED]).exclude(firm=firm).select_related("firm"))
    for app in live:
        ApplicationEvent.objects.create(
            application=app, actor=actor, from_status=app.status, to_status=app.status,
            comment=_("服务企业变更：%(old)s → %(new)s（%(d)s 起），申报由新企业承接。") % {
                "old": app.firm.name, "new": firm.name, "d": since.strftime("%Y-%m-%d")})
        app.firm = firm
        app.save(update_fields=["firm"])
        moved += 1
    return moved
