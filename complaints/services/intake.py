"""Intake of an order: registering it in the street's queue, triage onto an estate, the district's dispatch."""
from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import roles_at
from accounts.models import Role, User
from accounts.scope import scope_of
from communities.models import Estate, Street

from ..models import Action, AttachmentKind, Category, Complaint, ComplaintEvent, MatterType, Source, Urgency
from ..numbers import new_number, new_tracking_code
from . import notices
from .attachments import attachment_check, attachment_save
from .flow import S, _check_aware, _local_day, _locked, _serving_firm_id, _transition
from .policy import policy_on


def _may_receive(actor: User, street: Street) -> bool:
    scope = scope_of(actor)
    if scope.city_admin or scope.holds(Role.STREET_STAFF, street.pk):
        return True
    if any(scope.holds(r, street.district_id) for r in roles_at("complaints.district", "district")):
        return True
    communities = scope.by_role.get(Role.COMMUNITY_CLERK)
    return bool(communities) and street.communities.filter(pk__in=communities).exists()


@transaction.atomic
def complaint_receive(*, actor: User | None, street: Street, source: str, received_at: datetime.datetime,
                      category: Category, title: str, content: str, now: datetime.datetime,
                      matter_type: str = MatterType.COMPLAINT, urgency: str = Urgency.NORMAL,
                      external_no: str = "", address: str = "", estate: Estate | None = None,
                      complainant_name: str = "", complainant_phone: str = "", confidential: bool = False,
                      raw=None, import_run=None, files=()) -> Complaint:
    """Register an order in the street's queue (status 待派单). `actor` None: the public form or an import job.

    The policy in force on the received day times it to the end; the firm is the one serving the estate on
    the received day. With an estate, repeated reports on it are checked (complaints_flag_repeated).
    """
    _check_aware(now)
    if actor is not None and not _may_receive(actor, street):
        raise ValidationError(_("您不能为“%(s)s”登记投诉。") % {"s": street.name})
    errors = {}
    if source not in Source.values:
        errors["source"] = _("来源无效。")
    if matter_type not in MatterType.values:
        errors["matter_type"] = _("诉求类型无效。")
    if urgency not in Urgency.values:
        errors["urgency"] = _("紧急程度无效。")
    if category is None or not getattr(category, "active", False):
        errors["category"] = _("请选择有效的投诉类别。")
    if received_at is None or timezone.is_naive(received_at):
        errors["received_at"] = _("请填写受理时间。")
    elif received_at > now + datetime.timedelta(minutes=5):
        errors["received_at"] = _("受理时间不能晚于当前时间。")
    title = (title or "").strip()
    content = (content or "").strip()
    if not title:
        errors["title"] = _("请填写标题。")
    elif len(title) > 200:
        errors["title"] = _("标题最多 200 字。")
    if not content:
        errors["content"] = _("请填写诉求内容。")
    elif len(content) > 5000:
        errors["content"] = _("诉求内容最多 5000 字。")
    external_no = (external_no or "").strip()
    if len(external_no) > 50:
        errors["external_no"] = _("工单编号最多 50 个字符。")
    complainant_name = (complainant_name or "").strip()
    complainant_phone = (complainant_phone or "").strip()
    if len(complainant_name) > 50:
        errors["complainant_name"] = _("姓名最多 50 字。")
    if len(complainant_phone) > 30:
        errors["complainant_phone"] = _("联系电话最多 30 个字符。")
    if len((address or "").strip()) > 300:
        errors["address"] = _("地址最多 300 字。")
    if errors:
        raise ValidationError(errors)
    if estate is not None:
        estate = Estate.objects.select_related("community__street").get(pk=estate.pk)
        if estate.community.street.district_id != street.district_id:
            raise ValidationError({"estate": _("小区“%(e)s”不在%(d)s，不能登记到该街道。") % {
                "e": estate.name, "d": street.district}})
        street = estate.community.street
    if external_no and Complaint.objects.filter(source=source, external_no=external_no).exists():
        raise ValidationError({"external_no": _("来源“%(s)s”的工单编号 %(n)s 已登记。") % {
            "s": Source(source).label, "n": external_no}})
    for upload in files or ():
        attachment_check(upload)
    day = _local_day(received_at)
    complaint = Complaint(
        source=source, external_no=external_no, received_at=received_at, matter_type=matter_type,
        category=category, urgency=urgency, title=title, content=content, address=(address or "").strip(),
        street=street, estate=estate, firm_id=_serving_firm_id(estate, day) if estate else None,
        match_score=100 if estate else None,
        complainant_name=complainant_name, complainant_phone=complainant_phone, confidential=bool(confidential),
        raw=raw, import_run=import_run, created_by=actor, status=S.RECEIVED,
        policy=policy_on(street.district, day),
    )
    for attempt in range(5):  # random numbers: a collision is retried, never a race for "the next number"
        complaint.number = new_number(timezone.localtime(received_at))
        complaint.tracking_code = new_tracking_code()
        try:
            with transaction.atomic():
                complaint.save(force_insert=True)
            break
        except IntegrityError:
            complaint.pk = None
            if attempt == 4:
                raise
    event = ComplaintEvent.objects.create(complaint=complaint, action=Action.RECEIVE, actor=actor, at=now,
                                          from_status="", to_status=S.RECEIVED,
                                          data={"source": source, "external_no": external_no})
    for upload in files or ():
        attachment_save(complaint=complaint, uploaded_file=upload, kind=AttachmentKind.COMPLAINT, actor=actor,
                        now=now, event=event, checked=True)
    notices.handoff(complaint, event, actor)
    if estate is not None:
        from .marks import complaints_flag_repeated

        complaints_flag_repeated(estate_ids=[estate.pk], now=now)
        complaint.refresh_from_db(fields=["supervision_flagged"])
    return complaint


@transaction.atomic
def complaint_match(*, actor: User, complaint: Complaint, estate: Estate, now: datetime.datetime) -> Complaint:
    """Triage: place the order on an estate of its district; it moves to the estate's street."""
    complaint = _locked(actor, complaint)
    estate = Estate.objects.select_related("community__street").filter(pk=getattr(estate, "pk", None)).first()
    if estate is None:
        raise ValidationError({"estate": _("请选择小区。")})
    if estate.community.street.district_id != complaint.street.district_id:
        raise ValidationError({"estate": _("只能选择%(d)s的小区。") % {"d": complaint.street.district}})
    before = {"estate": complaint.estate_id, "street": complaint.street_id}
    event = _transition(complaint, Action.MATCH, actor=actor, now=now, comment=estate.name,
                        data={"from": before, "estate": estate.pk, "street": estate.community.street_id})
    complaint.estate = estate
    complaint.street = estate.community.street
    complaint.firm_id = _serving_firm_id(estate, _local_day(complaint.received_at))
    complaint.match_score = None  # placed by hand
    complaint.save(update_fields=["estate", "street", "firm", "match_score"])
    notices.handoff(complaint, event, actor)
    from .marks import complaints_flag_repeated

    complaints_flag_repeated(estate_ids=[estate.pk], now=now)
    return complaint


@transaction.atomic
def complaint_dispatch(*, actor: User, complaint: Complaint, street: Street, now: datetime.datetime,
                       comment: str = "") -> Complaint:
    """The district hands the order to a street of the district."""
    complaint = _locked(actor, complaint)
    street = Street.objects.filter(pk=getattr(street, "pk", None)).first()
    if street is None or street.district_id != complaint.street.district_id:
        raise ValidationError({"street": _("只能派至本区的街道。")})
    if complaint.estate_id and complaint.estate.community.street_id != street.pk:
        raise ValidationError({"street": _("工单已确定小区“%(e)s”，只能派至其所在街道。") % {"e": complaint.estate.name}})
    event = _transition(complaint, Action.DISPATCH, actor=actor, now=now, comment=comment,
                        data={"street": street.pk, "from_street": complaint.street_id})
    complaint.street = street
    complaint.save(update_fields=["status", "street"])
    notices.handoff(complaint, event, actor)
    return complaint
