"""The yearly assessment of owner committees and the allowance it earns (章贡 四(一)).

「各街道（镇）…对业主委员会或物业管理委员会…进行年度考核评定。评定结果合格的，…成员可按照每人每月不高于300元的标准
发放交通、通讯补贴，补贴资金从该小区物业服务费或公共收益中列支。」

- The rules are data per district (`CommitteeAssessmentPolicy` with its `AssessmentCriterion` rows): items scored
  up to their maximum or passed / failed, the pass mark, and the monthly allowance per member, which the
  district sets at or below the document's 300 yuan (`ALLOWANCE_CAP`, a constant of the text).
- The result is computed, not decided: qualified when the points reach the pass mark and every pass/fail item
  is passed (`evaluate`). The street writes remarks per item and an overall comment.
- Once a year per committee: the street of the committee's estate submits (a second one for the year is
  refused, also by a unique constraint); it may correct it until the district confirms; the district
  administrator confirms it (only then does it count) or returns it with a reason. Each step writes an
  `AssessmentEvent` and tells the next people (accounts.notices HANDOFFS, "committee_assessment.*").
- The allowance (`allowance_statement`) is a statement, not a payout: members in office per month (the
  roster confirmed with the assessment) × the district's amount, never above 300 per person per month, paid
  from the estate's property fee or public income (ALLOWANCE_FUNDS). No payout process yet.

Every function takes the day as an input (`today=`); writes run in one transaction and lock their row.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.notices import Place, handoff
from accounts.scope import scope_of
from accounts.versions import version_in_force
from communities.models import (
    ALLOWANCE_CAP,
    ALLOWANCE_FUNDS,
    AssessmentCriterion,
    AssessmentEvent,
    AssessmentMember,
    AssessmentScore,
    AssessmentStatus,
    CommitteeAssessment,
    CommitteeAssessmentPolicy,
    CriterionKind,
    District,
    OwnerCommittee,
)

S = AssessmentStatus
TWO_PLACES = Decimal("0.01")
ZERO = Decimal("0.00")
POSITIONS = ("chair", "vice", "member")

# The portal's default criteria for a district's first version (the document leaves the 考核细则 to the
# district's 物业主管部门: these are the portal's choice, *data*, edited as a new version).
DEFAULT_CRITERIA = (
    {"title": "依法履行职责", "kind": CriterionKind.POINTS, "max_points": Decimal("20"),
     "description": "按时召集业主大会会议，执行业主大会决定，按规定换届。"},
    {"title": "制度建设与信息公开", "kind": CriterionKind.POINTS, "max_points": Decimal("20"),
     "description": "议事规则、会议记录完整，定期公示委员会工作和收支情况。"},
    {"title": "监督物业服务", "kind": CriterionKind.POINTS, "max_points": Decimal("20"),
     "description": "监督物业服务合同履行，及时反映并协调解决业主诉求。"},
    {"title": "公共收益与维修资金管理", "kind": CriterionKind.POINTS, "max_points": Decimal("20"),
     "description": "公共收益、维修资金账目清楚，使用经业主决定并公示。"},
    {"title": "配合街道社区工作", "kind": CriterionKind.POINTS, "max_points": Decimal("20"),
     "description": "接受街道（镇）、社区指导监督，参与矛盾纠纷调处。"},
    {"title": "无违法违规行为", "kind": CriterionKind.PASS_FAIL, "max_points": None,
     "description": "委员无侵占业主共有财产、违规收受利益等行为。"},
)
DEFAULT_PASS_MARK = Decimal("60.00")

NOTICE_EVENTS = {"submit": "committee_assessment.submitted", "correct": "committee_assessment.submitted",
                 "return": "committee_assessment.returned", "confirm": "committee_assessment.confirmed"}


# --- the policy ------------------------------------------------------------------------------------------------

def policy_for(district_id: int, on: datetime.date) -> CommitteeAssessmentPolicy | None:
    return version_in_force(CommitteeAssessmentPolicy, district_id, on)


def _money(value, name: str, label: str, errors: dict) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        errors[name] = [_("%(l)s必须是数字。") % {"l": label}]
        return None
    if not number.is_finite() or number < 0:
        errors[name] = [_("%(l)s不能为负数。") % {"l": label}]
        return None
    if number != number.quantize(TWO_PLACES):
        errors[name] = [_("%(l)s最多两位小数。") % {"l": label}]
        return None
    return number.quantize(TWO_PLACES)


def cap_refusal(amount: Decimal) -> str:
    return _("每人每月补贴 %(a)s 元超过政策上限 %(c)s 元（“每人每月不高于300元”），不能保存。") % {
        "a": f"{amount:.2f}", "c": f"{ALLOWANCE_CAP:.0f}"}


def validate_policy(*, pass_mark, allowance_per_member, criteria: Sequence[Mapping[str, Any]]) -> dict:
    """The cleaned numbers and criteria, or a ValidationError naming each rule broken."""
    errors: dict = {}
    pass_mark = _money(pass_mark, "pass_mark", _("合格分数线"), errors)
    allowance = _money(allowance_per_member, "allowance_per_member", _("每人每月补贴"), errors)
    if allowance is not None and allowance > ALLOWANCE_CAP:
        errors["allowance_per_member"] = [cap_refusal(allowance)]
    items = []
    for i, row in enumerate(criteria, start=1):
        title = (row.get("title") or "").strip()
        if not title:
            continue
        kind = row.get("kind") or CriterionKind.POINTS
        max_points = row.get("max_points")
        if kind == CriterionKind.POINTS:
            item_errors: dict = {}
            max_points = _money(max_points, "max_points", _("满分"), item_errors)
            if max_points is None or max_points <= 0:
                errors.setdefault("criteria", []).append(
                    _("第 %(n)d 项“%(t)s”：计分项须填写大于 0 的满分。") % {"n": i, "t": title})
                continue
        elif kind == CriterionKind.PASS_FAIL:
            max_points = None
        else:
            errors.setdefault("criteria", []).append(_("第 %(n)d 项：类型无效。") % {"n": i})
            continue
        items.append({"title": title, "description": (row.get("description") or "").strip(), "kind": kind,
                      "max_points": max_points})
    if not items:
        errors.setdefault("criteria", []).append(_("请至少填写一个考核项目。"))
    total = sum((c["max_points"] or ZERO for c in items), ZERO)
    if pass_mark is not None and items and pass_mark > total:
        errors["pass_mark"] = [_("合格分数线 %(p)s 分高于计分项满分合计 %(t)s 分。") % {
            "p": f"{pass_mark:.2f}", "t": f"{total:.2f}"}]
    if errors:
        raise ValidationError(errors)
    return {"pass_mark": pass_mark, "allowance_per_member": allowance, "criteria": items}


@transaction.atomic
def policy_create(*, actor: User, district: District, effective_from: datetime.date, pass_mark,
                  allowance_per_member, criteria: Sequence[Mapping[str, Any]],
                  note: str = "") -> CommitteeAssessmentPolicy:
    """A new version from `effective_from` (district administrators): assessments already made keep theirs."""
    if not District.objects.editable_by(actor).filter(pk=district.pk).exists():
        raise ValidationError(_("只有本区管理员可以修改业委会考核政策。"))
    clean = validate_policy(pass_mark=pass_mark, allowance_per_member=allowance_per_member, criteria=criteria)
    if CommitteeAssessmentPolicy.objects.filter(district=district, effective_from=effective_from).exists():
        raise ValidationError({"effective_from": _("该日期已有一个政策版本。")})
    policy = CommitteeAssessmentPolicy(district=district, effective_from=effective_from, created_by=actor,
                                       pass_mark=clean["pass_mark"],
                                       allowance_per_member=clean["allowance_per_member"], note=(note or "").strip())
    policy._history_user = actor
    policy.save()
    AssessmentCriterion.objects.bulk_create(
        AssessmentCriterion(policy=policy, order=i, **item) for i, item in enumerate(clean["criteria"], start=1))
    return policy


# --- who may do what -------------------------------------------------------------------------------------------

def may_assess(user, street_id: int) -> bool:
    """The street of the committee's estate assesses (city administrators may act for any)."""
    scope = scope_of(user)
    return scope.city_admin or scope.holds(Role.STREET_STAFF, street_id)


def assesses_somewhere(user) -> bool:
    scope = scope_of(user)
    return scope.city_admin or bool(scope.by_role.get(Role.STREET_STAFF))


def may_confirm(user, district_id: int) -> bool:
    scope = scope_of(user)
    return scope.city_admin or scope.holds(Role.DISTRICT_ADMIN, district_id)


def may_correct(assessment: CommitteeAssessment, user) -> bool:
    return assessment.status in (S.SUBMITTED, S.RETURNED) and may_assess(user, assessment.street_id)


def allowed_actions(assessment: CommitteeAssessment, user) -> list[str]:
    if assessment.status == S.SUBMITTED and may_confirm(user, assessment.district_id):
        return ["confirm", "return"]
    return []


# --- the result ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    total: Decimal
    qualified: bool
    rows: list  # [(criterion, points or None, passed or None, remark)]
    failed_items: list = field(default_factory=list)


def evaluate(policy: CommitteeAssessmentPolicy, scores: Mapping[int, Mapping[str, Any]]) -> Result:
    """The items' results -> the total and qualified / not. `scores`: criterion id -> {points, passed, remark}.

    Qualified = points of the scored items reach the pass mark and every pass/fail item is passed."""
    errors: list[str] = []
    rows, total, failed = [], ZERO, []
    for criterion in policy.criteria.all():
        entry = scores.get(criterion.pk) or {}
        remark = (entry.get("remark") or "").strip()[:200]
        if criterion.kind == CriterionKind.POINTS:
            raw = entry.get("points")
            if raw in (None, ""):
                errors.append(_("“%(t)s”尚未评分。") % {"t": criterion.title})
                continue
            try:
                points = Decimal(str(raw))
            except (InvalidOperation, ValueError):
                errors.append(_("“%(t)s”的得分必须是数字。") % {"t": criterion.title})
                continue
            if not points.is_finite() or points < 0 or points > criterion.max_points:
                errors.append(_("“%(t)s”的得分须在 0 至 %(m)s 分之间。") % {
                    "t": criterion.title, "m": f"{criterion.max_points:.2f}"})
                continue
            if points != points.quantize(TWO_PLACES):
                errors.append(_("“%(t)s”的得分最多两位小数。") % {"t": criterion.title})
                continue
            total += points
            rows.append((criterion, points.quantize(TWO_PLACES), None, remark))
        else:
            passed = entry.get("passed")
            if passed not in (True, False):
                errors.append(_("“%(t)s”请选择合格或不合格。") % {"t": criterion.title})
                continue
            if not passed:
                failed.append(criterion.title)
            rows.append((criterion, None, passed, remark))
    if errors:
        raise ValidationError({"scores": errors})
    qualified = total >= policy.pass_mark and not failed
    return Result(total=total, qualified=qualified, rows=rows, failed_items=failed)


def result_reason(assessment: CommitteeAssessment) -> str:
    """Why the result is what it is, in a sentence (the detail page and the statement)."""
    if assessment.qualified:
        return _("得分 %(t)s 分，达到合格分数线 %(p)s 分，合格/不合格项均合格。") % {
            "t": f"{assessment.total_points:.2f}", "p": f"{assessment.pass_mark:.2f}"}
    parts = []
    if assessment.total_points < assessment.pass_mark:
        parts.append(_("得分 %(t)s 分，低于合格分数线 %(p)s 分") % {
            "t": f"{assessment.total_points:.2f}", "p": f"{assessment.pass_mark:.2f}"})
    failed = [s.criterion.title for s in assessment.scores.all() if s.passed is False]
    if failed:
        parts.append(_("不合格项：%(i)s") % {"i": "、".join(failed)})
    return "；".join(parts) + "。"


# --- the roster (members in office during the year) -------------------------------------------------------------

def term_months(committee: OwnerCommittee, year: int) -> tuple[int, int] | None:
    """The first and last month of `year` within the committee's term, or None when the term misses the year."""
    if committee.elected_on.year > year or committee.term_end.year < year:
        return None
    first = committee.elected_on.month if committee.elected_on.year == year else 1
    last = committee.term_end.month if committee.term_end.year == year else 12
    return first, last


def default_roster(committee: OwnerCommittee, year: int) -> list[dict]:
    """Today's members, each for the committee's months of the year (the street corrects who left or came)."""
    months = term_months(committee, year) or (1, 12)
    return [{"name": m.name, "position": m.position, "from_month": months[0], "to_month": months[1]}
            for m in committee.members.all().order_by("pk")]


def clean_roster(committee: OwnerCommittee, year: int, roster: Sequence[Mapping[str, Any]]) -> list[dict]:
    months = term_months(committee, year)
    errors, rows = [], []
    for i, row in enumerate(roster, start=1):
        name = (row.get("name") or "").strip()
        if not name:
            continue
        try:
            first, last = int(row.get("from_month")), int(row.get("to_month"))
        except (TypeError, ValueError):
            errors.append(_("第 %(n)d 位成员“%(m)s”：请填写在任起止月份。") % {"n": i, "m": name})
            continue
        if not (1 <= first <= last <= 12):
            errors.append(_("第 %(n)d 位成员“%(m)s”：在任月份须在 1 至 12 月之间，且起始不晚于截止。") % {
                "n": i, "m": name})
            continue
        if months and (first < months[0] or last > months[1]):
            errors.append(_("第 %(n)d 位成员“%(m)s”：在任月份超出委员会 %(y)d 年的任期（%(a)d 月至 %(b)d 月）。") % {
                "n": i, "m": name, "y": year, "a": months[0], "b": months[1]})
            continue
        clash = next((r for r in rows if r["name"] == name[:50]
                      and not (last < r["from_month"] or first > r["to_month"])), None)
        if clash is not None:
            # One person, one allowance a month: never two rows of one name in the same month.
            errors.append(_("第 %(n)d 位成员“%(m)s”：与同名成员的在任月份重叠，同一人每月只计一次。") % {
                "n": i, "m": name})
            continue
        position = row.get("position") if row.get("position") in POSITIONS else "member"
        rows.append({"name": name[:50], "position": position, "from_month": first, "to_month": last})
    if not rows and not errors:
        errors.append(_("请填写本年度在任成员（补贴按成员在任月份计算）。"))
    if errors:
        raise ValidationError({"roster": errors})
    return rows


# --- submit, correct, return, confirm --------------------------------------------------------------------------

def _year_errors(committee: OwnerCommittee, year: int, today: datetime.date) -> str | None:
    if year > today.year:
        return _("不能考核尚未开始的年度（%(y)d 年）。") % {"y": year}
    if term_months(committee, year) is None:
        return _("该委员会 %(y)d 年不在任期内（任期 %(a)s 至 %(b)s）。") % {
            "y": year, "a": committee.elected_on.strftime("%Y-%m-%d"), "b": committee.term_end.strftime("%Y-%m-%d")}
    return None


def _already(committee: OwnerCommittee, year: int) -> str:
    return _("“%(c)s”%(y)d 年度已有考核，每个委员会每年只考核一次；如需修改，请在区确认前更正原考核。") % {
        "c": committee, "y": year}


def _write_rows(assessment: CommitteeAssessment, result: Result, roster: list[dict]) -> None:
    assessment.scores.all().delete()
    assessment.roster.all().delete()
    AssessmentScore.objects.bulk_create(
        AssessmentScore(assessment=assessment, criterion=c, points=p, passed=ok, remark=r)
        for c, p, ok, r in result.rows)
    AssessmentMember.objects.bulk_create(AssessmentMember(assessment=assessment, **row) for row in roster)


def _summary(assessment: CommitteeAssessment, roster: list[dict]) -> str:
    return _("得分 %(t)s 分（合格线 %(p)s 分），%(r)s；在任成员 %(n)d 人") % {
        "t": f"{assessment.total_points:.2f}", "p": f"{assessment.pass_mark:.2f}",
        "r": _("合格") if assessment.qualified else _("不合格"), "n": len(roster)}


@transaction.atomic
def assessment_submit(*, actor: User, committee: OwnerCommittee, year: int, scores: Mapping[int, Mapping],
                      roster: Sequence[Mapping], comment: str = "", today: datetime.date) -> CommitteeAssessment:
    committee = (OwnerCommittee.objects.select_for_update(of=("self",))
                 .select_related("estate__community__street__district").get(pk=committee.pk))
    street = committee.estate.community.street
    if not may_assess(actor, street.pk):
        raise ValidationError(_("只能由委员会所在小区的街道进行考核。"))
    problem = _year_errors(committee, year, today)
    if problem:
        raise ValidationError({"year": [problem]})
    if CommitteeAssessment.objects.filter(committee=committee, year=year).exists():
        raise ValidationError(_already(committee, year))
    policy = policy_for(street.district_id, today)
    if policy is None:
        raise ValidationError(_("%(d)s尚未制定业委会考核政策（考核细则），请联系区管理员。") % {"d": street.district})
    result = evaluate(policy, scores)
    roster = clean_roster(committee, year, roster)
    assessment = CommitteeAssessment(committee=committee, year=year, street=street, district=street.district,
                                     policy=policy, total_points=result.total, pass_mark=policy.pass_mark,
                                     qualified=result.qualified, comment=(comment or "").strip(),
                                     assessed_by=actor, assessed_on=today)
    assessment._history_user = actor
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError:
        raise ValidationError(_already(committee, year)) from None
    _write_rows(assessment, result, roster)
    event = AssessmentEvent.objects.create(assessment=assessment, actor=actor, to_status=S.SUBMITTED,
                                           comment=_summary(assessment, roster))
    _notice(assessment, "submit", event, actor)
    return assessment


def _locked(assessment: CommitteeAssessment) -> CommitteeAssessment:
    return (CommitteeAssessment.objects.select_for_update(of=("self",))
            .select_related("committee__estate", "street", "district", "policy").get(pk=assessment.pk))


@transaction.atomic
def assessment_correct(*, actor: User, assessment: CommitteeAssessment, scores: Mapping[int, Mapping],
                       roster: Sequence[Mapping], comment: str = "", today: datetime.date) -> CommitteeAssessment:
    """The street corrects its assessment before the district confirms it (under the same policy version);
    the change is kept in the history and as an event, and the district is told again."""
    a = _locked(assessment)
    if a.status == S.CONFIRMED:
        raise ValidationError(_("区已确认该考核结果，不能再更正。"))
    if not may_assess(actor, a.street_id):
        raise ValidationError(_("只能由委员会所在小区的街道更正考核。"))
    before = (a.total_points, a.qualified)
    result = evaluate(a.policy, scores)
    roster = clean_roster(a.committee, a.year, roster)
    from_status = a.status
    a.total_points, a.qualified = result.total, result.qualified
    a.comment = (comment or "").strip()
    a.assessed_by, a.assessed_on, a.status = actor, today, S.SUBMITTED
    a._history_user = actor
    a._change_reason = _("更正考核")
    a.save()
    _write_rows(a, result, roster)
    note = _("更正：%(b)s 分 → %(s)s") % {"b": f"{before[0]:.2f}", "s": _summary(a, roster)}
    event = AssessmentEvent.objects.create(assessment=a, actor=actor, from_status=from_status,
                                           to_status=S.SUBMITTED, comment=note)
    _notice(a, "correct", event, actor)
    return a


@transaction.atomic
def assessment_transition(*, actor: User, assessment: CommitteeAssessment, action: str, comment: str = "",
                          today: datetime.date) -> CommitteeAssessment:
    """The district administrator confirms the street's assessment (it counts from then) or returns it."""
    a = _locked(assessment)
    if action not in ("confirm", "return"):
        raise ValidationError(_("未知操作。"))
    if a.status != S.SUBMITTED:
        raise ValidationError(_("考核当前状态为“%(s)s”，不能执行此操作。") % {"s": a.get_status_display()})
    if not may_confirm(actor, a.district_id):
        raise ValidationError(_("只有本区管理员可以确认或退回考核。"))
    comment = (comment or "").strip()
    if action == "return" and not comment:
        raise ValidationError({"comment": _("退回时请填写原因。")})
    target = S.CONFIRMED if action == "confirm" else S.RETURNED
    event = AssessmentEvent.objects.create(assessment=a, actor=actor, from_status=a.status, to_status=target,
                                           comment=comment)
    a.status = target
    if action == "confirm":
        a.confirmed_by, a.confirmed_on = actor, today
    a._history_user = actor
    a.save()
    _notice(a, action, event, actor)
    return a


def _notice(a: CommitteeAssessment, action: str, event: AssessmentEvent, actor: User) -> int:
    name = NOTICE_EVENTS[action]
    estate = a.committee.estate.name
    title = {
        "committee_assessment.submitted": _("%(s)s 提交了“%(e)s”%(k)s %(y)d 年度考核，请确认"),
        "committee_assessment.returned": _("“%(e)s”%(k)s %(y)d 年度考核被区退回，请更正"),
        "committee_assessment.confirmed": _("区已确认“%(e)s”%(k)s %(y)d 年度考核结果"),
    }[name] % {"s": a.street.name, "e": estate, "k": a.committee.get_kind_display(), "y": a.year}
    return handoff(name, place=Place.of(streets=[a.street_id], districts=[a.district_id]), key=str(event.pk),
                   title=title, body=event.comment[:500],
                   url=reverse("communities:assessment_detail", args=[a.pk]), actor=actor)


# --- the allowance statement -----------------------------------------------------------------------------------

@dataclass
class Statement:
    """A committee's yearly allowance: members' months × the monthly amount (never above ALLOWANCE_CAP)."""

    assessment: CommitteeAssessment | None
    year: int
    rate: Decimal = ZERO
    rows: list = field(default_factory=list)  # [(member, months, amount)]
    per_month: list = field(default_factory=lambda: [0] * 12)  # members in office, January..December
    member_months: int = 0
    total: Decimal = ZERO
    reason: str = ""  # why nothing is due (empty when something is)
    funds: str = ""

    @property
    def due(self) -> bool:
        return not self.reason


def allowance_statement(assessment: CommitteeAssessment | None, year: int | None = None) -> Statement:
    """The statement of an assessment: 0 with the reason unless it is confirmed and qualified."""
    year = assessment.year if assessment is not None else year
    st = Statement(assessment=assessment, year=year, funds=str(ALLOWANCE_FUNDS))
    if assessment is None:
        st.reason = _("%(y)d 年度未进行考核。") % {"y": year}
        return st
    if assessment.status != S.CONFIRMED:
        st.reason = _("考核结果尚未经区确认（%(s)s）。") % {"s": assessment.get_status_display()}
        return st
    if not assessment.qualified:
        st.reason = _("年度考核不合格：%(r)s") % {"r": result_reason(assessment)}
        return st
    st.rate = min(assessment.policy.allowance_per_member, ALLOWANCE_CAP)
    for member in assessment.roster.all():
        months = member.months
        amount = st.rate * months
        st.rows.append((member, months, amount))
        st.member_months += months
        st.total += amount
        for m in range(member.from_month, member.to_month + 1):
            st.per_month[m - 1] += 1
    return st
