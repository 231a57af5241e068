"""Writes of the two-way evaluation: the district's campaign and its questionnaires, publishing (which tells
the streets, communities and firms), the questionnaires filled in the window, and confirming the results
after it (the credit hook, which does nothing unless the campaign's `feeds_credit` is on).

Keyword-only, one transaction each, the day comes in as `today`; a refusal is a Chinese ValidationError.
"""
from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role, RoleAssignment, User
from accounts.notices import Place, handoff
from communities.models import District
from enterprises.models import ServiceContract

from .default_questionnaire import DEFAULT_QUESTIONS
from .models import (
    EVALUATOR_FIELDS,
    PAIRS,
    TARGET_FIELDS,
    Answer,
    Campaign,
    CampaignEvent,
    CampaignStatus,
    Direction,
    Question,
    QuestionKind,
    Response,
    UnitKind,
)
from .selectors import fill_refusal, may_fill_for, results, targets

CS = CampaignStatus
# The credit rule the results would feed when a district switches `feeds_credit` on: a bad record for a
# firm whose overall average is below the campaign's line. It is not in the city's default catalogue
# (enterprises/credit/policy.py): the city adds it (code evaluation_poor, automatic) to make the hook
# write; until then credit_record_auto skips it and nothing is recorded.
EVALUATION_POOR = "evaluation_poor"


def _district_admin(actor: User, district_id: int) -> None:
    if not District.objects.editable_by(actor).filter(pk=district_id).exists():
        raise ValidationError(_("只有本区管理员可以管理双向评价活动。"))


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)


def _event(campaign: Campaign, actor: User | None, from_status: str, comment: str = "") -> CampaignEvent:
    return CampaignEvent.objects.create(campaign=campaign, actor=actor, from_status=from_status,
                                        to_status=campaign.status, comment=comment)


# --- the campaign ----------------------------------------------------------------------------------------------

def _check_window(district_id: int, year: int, opens_on, closes_on, exclude: int | None = None) -> None:
    errors = {}
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = [_("请填写年度。")]
    if opens_on is None:
        errors["opens_on"] = [_("请填写开始日期。")]
    if closes_on is None:
        errors["closes_on"] = [_("请填写截止日期。")]
    if errors:
        raise ValidationError(errors)
    if closes_on < opens_on:
        raise ValidationError({"closes_on": _("截止日期不能早于开始日期。")})
    if not year <= opens_on.year <= year + 1:
        raise ValidationError({"opens_on": _("%(y)d 年度的评价应在 %(y)d 年或次年开始。") % {"y": year}})
    clash = (Campaign.objects.filter(district_id=district_id, opens_on__lte=closes_on, closes_on__gte=opens_on)
             .exclude(pk=exclude).first())
    if clash is not None:
        raise ValidationError({"opens_on": _("与 %(y)d 年度评价的填报时间（%(o)s 至 %(c)s）重叠。") % {
            "y": clash.year, "o": clash.opens_on, "c": clash.closes_on}})


def _poor_line(value) -> Decimal:
    try:
        line = Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise ValidationError({"poor_line": _("请填写 1 至 5 之间的分数。")}) from None
    if not line.is_finite() or not Decimal(1) <= line <= Decimal(5) or line != line.quantize(Decimal("0.01")):
        raise ValidationError({"poor_line": _("请填写 1 至 5 之间的分数（最多两位小数）。")})
    return line


@transaction.atomic
def campaign_create(*, actor: User, district: District, year: int, opens_on: datetime.date,
                    closes_on: datetime.date, feeds_credit: bool = False, poor_line="3.00",
                    note: str = "") -> Campaign:
    """A draft campaign with the district's previous campaign's questions (the first one: the default)."""
    _district_admin(actor, district.pk)
    District.objects.select_for_update().get(pk=district.pk)  # one creation per district at a time
    if Campaign.objects.filter(district=district, year=year).exists():
        raise ValidationError({"year": _("%(d)s已有 %(y)d 年度的评价活动。") % {"d": district.name, "y": year}})
    _check_window(district.pk, year, opens_on, closes_on)
    campaign = Campaign.objects.create(district=district, year=year, opens_on=opens_on, closes_on=closes_on,
                                       feeds_credit=bool(feeds_credit), poor_line=_poor_line(poor_line),
                                       note=(note or "").strip()[:200], created_by=actor)
    previous = Campaign.objects.filter(district=district, year__lt=year).order_by("-year").first()
    if previous is not None:
        Question.objects.bulk_create([Question(campaign=campaign, direction=q.direction, order=q.order,
                                               text=q.text, kind=q.kind) for q in previous.questions.all()])
    else:
        Question.objects.bulk_create([
            Question(campaign=campaign, direction=direction, order=i, text=str(text), kind=kind)
            for direction, items in DEFAULT_QUESTIONS.items() for i, (text, kind) in enumerate(items, start=1)])
    _event(campaign, actor, "", _("创建"))
    return campaign


@transaction.atomic
def campaign_update(*, actor: User, campaign: Campaign, opens_on: datetime.date, closes_on: datetime.date,
                    feeds_credit: bool, poor_line, note: str = "") -> Campaign:
    """A draft's window and policy (a published campaign is fixed)."""
    campaign = _locked(campaign)
    _district_admin(actor, campaign.district_id)
    if campaign.status != CS.DRAFT:
        raise ValidationError(_("评价活动已发布，不能再修改。"))
    _check_window(campaign.district_id, campaign.year, opens_on, closes_on, exclude=campaign.pk)
    campaign.opens_on, campaign.closes_on = opens_on, closes_on
    campaign.feeds_credit, campaign.poor_line = bool(feeds_credit), _poor_line(poor_line)
    campaign.note = (note or "").strip()[:200]
    campaign.save()
    return campaign


@transaction.atomic
def question_add(*, actor: User, campaign: Campaign, direction: str, text: str, kind: str) -> Question:
    campaign = _locked(campaign)
    _district_admin(actor, campaign.district_id)
    if campaign.status != CS.DRAFT:
        raise ValidationError(_("评价活动已发布，问卷不能再修改。"))
    errors = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = [_("请填写题目。")]
    elif len(text) > 200:
        errors["text"] = [_("题目最多 200 个字。")]
    if direction not in Direction.values:
        errors["direction"] = [_("请选择问卷。")]
    if kind not in QuestionKind.values:
        errors["kind"] = [_("请选择题型。")]
    if errors:
        raise ValidationError(errors)
    last = campaign.questions.filter(direction=direction).aggregate(m=Max("order"))["m"] or 0
    return Question.objects.create(campaign=campaign, direction=direction, order=last + 1, text=text, kind=kind)


@transaction.atomic
def question_remove(*, actor: User, question: Question) -> None:
    campaign = _locked(question.campaign)
    _district_admin(actor, campaign.district_id)
    if campaign.status != CS.DRAFT:
        raise ValidationError(_("评价活动已发布，问卷不能再修改。"))
    Question.objects.filter(pk=question.pk).delete()


def _community_clerks(district_id: int) -> list[int]:
    return list(RoleAssignment.objects.filter(role=Role.COMMUNITY_CLERK, community__street__district=district_id)
                .values_list("user_id", flat=True))


@transaction.atomic
def campaign_publish(*, actor: User, campaign: Campaign, today: datetime.date) -> Campaign:
    """Fix the questionnaires and the window; tell the streets, the communities' clerks and the firms serving
    the district's estates when they fill in (accounts.notices: "evaluation.opened")."""
    campaign = _locked(campaign)
    _district_admin(actor, campaign.district_id)
    if campaign.status != CS.DRAFT:
        raise ValidationError(_("评价活动已发布。"))
    if campaign.closes_on < today:
        raise ValidationError(_("截止日期 %(c)s 已过，请先修改填报时间。") % {"c": campaign.closes_on})
    for direction in Direction:
        if not campaign.questions.filter(direction=direction).exists():
            raise ValidationError(_("“%(d)s”问卷还没有题目。") % {"d": direction.label})
    campaign.status = CS.PUBLISHED
    campaign.save(update_fields=["status"])
    event = _event(campaign, actor, CS.DRAFT, _("发布"))
    district = campaign.district
    firms = (ServiceContract.objects.active().filter(estate__community__street__district=district)
             .values_list("firm_id", flat=True).distinct())
    handoff("evaluation.opened",
            place=Place.of(streets=district.streets.values_list("pk", flat=True), firms=firms,
                           users=_community_clerks(district.pk)),
            key=str(event.pk),
            title=_("%(d)s %(y)d 年度履约双向评价：%(o)s 至 %(c)s 填报") % {
                "d": district.name, "y": campaign.year, "o": campaign.opens_on.strftime("%Y-%m-%d"),
                "c": campaign.closes_on.strftime("%Y-%m-%d")},
            body=campaign.note, url=reverse("evaluations:campaign_detail", args=[campaign.pk]), actor=actor)
    return campaign


@transaction.atomic
def campaign_confirm(*, actor: User, campaign: Campaign, today: datetime.date,
                     now: datetime.datetime) -> list:
    """After the window the district confirms the results; the credit hook runs (and writes nothing unless
    the campaign feeds credit). Returns the credit records written."""
    campaign = _locked(campaign)
    _district_admin(actor, campaign.district_id)
    if campaign.status != CS.PUBLISHED:
        raise ValidationError(_("只有已发布的评价活动可以确认结果。"))
    if today <= campaign.closes_on:
        raise ValidationError(_("填报截止（%(c)s）后才能确认结果。") % {"c": campaign.closes_on})
    campaign.status, campaign.confirmed_on = CS.CONFIRMED, today
    campaign.save(update_fields=["status", "confirmed_on"])
    _event(campaign, actor, CS.PUBLISHED, _("确认结果"))
    return credit_feed(campaign=campaign, now=now)


def credit_feed(*, campaign: Campaign, now: datetime.datetime) -> list:
    """The hook from the results to the firms' credit file. Off (the default): nothing, not even a read of
    the catalogue. On: a firm whose overall average is below `poor_line` gets one record of the rule
    `evaluation_poor` (one per campaign and firm, rerunning adds nothing), if the city's catalogue has it."""
    if not campaign.feeds_credit:
        return []
    from enterprises.credit.permissions import Unit
    from enterprises.credit.records import credit_record_auto

    written = []
    for row in results(campaign, UnitKind.FIRM):
        if row.overall is None or row.overall >= campaign.poor_line:
            continue
        record = credit_record_auto(
            rule_code=EVALUATION_POOR, firm=row.target.pk, source=campaign, key=f"campaign:{campaign.pk}:firm:{row.target.pk}",
            unit=Unit(campaign.district_id), occurred_on=campaign.confirmed_on, now=now,
            title=_("%(y)d 年度履约双向评价综合平均分 %(s)s，低于 %(l)s（%(d)s，%(n)d 份问卷）") % {
                "y": campaign.year, "s": row.overall, "l": campaign.poor_line, "d": campaign.district.name,
                "n": row.responses})
        if record is not None:
            written.append(record)
    return written


# --- the questionnaires -----------------------------------------------------------------------------------------

def _answers(questions, data: dict) -> tuple[list[Answer], dict]:
    """`data`: question id -> {"value": "1".."5" or "yes"/"no", "comment": str}. Every question is answered."""
    answers, errors = [], {}
    for q in questions:
        item = data.get(q.pk) or {}
        value = str(item.get("value", "")).strip()
        comment = (item.get("comment") or "").strip()
        key = f"q{q.pk}"
        if len(comment) > 500:
            errors[f"{key}_comment"] = [_("意见最多 500 个字。")]
        if q.kind == QuestionKind.SCALE:
            if value not in {"1", "2", "3", "4", "5"}:
                errors[key] = [_("第 %(n)d 题请选择 1 至 5 分。") % {"n": q.order}]
                continue
            answers.append(Answer(question=q, score=int(value), comment=comment))
        else:
            if value not in {"yes", "no"}:
                errors[key] = [_("第 %(n)d 题请选择“是”或“否”。") % {"n": q.order}]
                continue
            answers.append(Answer(question=q, yes=value == "yes", comment=comment))
    return answers, errors


@transaction.atomic
def response_submit(*, actor: User, campaign: Campaign, evaluator_kind: str, evaluator_id: int,
                    target_kind: str, target_id: int, answers: dict, comment: str = "",
                    paper_number: str = "", paper_signed_on: datetime.date | None = None,
                    today: datetime.date) -> Response:
    """One questionnaire, once per campaign, evaluator and target, inside the window. A committee's is its
    signed paper questionnaire entered by a clerk of its street or community (number and date required)."""
    campaign = _locked(campaign)  # submissions to one campaign go one after the other
    direction = PAIRS.get((evaluator_kind, target_kind))
    if direction is None:
        raise ValidationError(_("没有这种评价。"))
    refusal = fill_refusal(campaign, today)
    if refusal:
        raise ValidationError(refusal)
    if not may_fill_for(actor, campaign, evaluator_kind, evaluator_id):
        raise ValidationError(_("您不能代表该单位填报评价。"))
    if not targets(evaluator_kind, evaluator_id, target_kind, today, campaign=campaign).filter(pk=target_id).exists():
        raise ValidationError(_("该单位不在本次评价范围内。"))
    lookup = {EVALUATOR_FIELDS[evaluator_kind]: evaluator_id, TARGET_FIELDS[target_kind]: target_id}
    if Response.objects.filter(campaign=campaign, **lookup).exists():
        raise ValidationError(_("本年度已填报过对该单位的评价，每个单位每年只能评价一次。"))
    errors = {}
    paper = evaluator_kind == UnitKind.COMMITTEE
    paper_number = (paper_number or "").strip()
    if paper:
        if not paper_number:
            errors["paper_number"] = [_("请填写纸质问卷编号。")]
        if paper_signed_on is None:
            errors["paper_signed_on"] = [_("请填写业主委员会签署问卷的日期。")]
        elif not campaign.opens_on <= paper_signed_on <= today:
            errors["paper_signed_on"] = [_("签署日期应在 %(o)s 至今天之间。") % {"o": campaign.opens_on}]
    questions = list(campaign.questions.filter(direction=direction).order_by("order", "pk"))
    answers_rows, answer_errors = _answers(questions, answers)
    errors.update(answer_errors)
    if errors:
        raise ValidationError(errors)
    response = Response(campaign=campaign, direction=direction, evaluator_kind=evaluator_kind,
                        target_kind=target_kind, comment=(comment or "").strip()[:2000], submitted_on=today,
                        entered_by=actor, on_paper=paper, paper_number=paper_number[:50] if paper else "",
                        paper_signed_on=paper_signed_on if paper else None,
                        **{f"{name}_id": value for name, value in lookup.items()})
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        raise ValidationError(_("本年度已填报过对该单位的评价，每个单位每年只能评价一次。")) from None
    for a in answers_rows:
        a.response = response
    Answer.objects.bulk_create(answers_rows)
    return response
