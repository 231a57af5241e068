"""The city's credit rules as versioned data: the figures of the yearly score and the rule catalogue.

Versions follow the rule of every policy here (accounts/versions.py): on a given day the city applies
the version with the latest `effective_from` not after it. A version is never edited; a change is a new
version with all its rules. A record copies its rule's kind, points and publication period when written,
and a credit year keeps the version in force on its last day, so a new version changes neither.
"""
from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User

from ..models import CreditKind, CreditPolicy, CreditRule, CreditYear, CreditYearStatus
from .permissions import is_city_admin

G, B, S = CreditKind.GOOD, CreditKind.BAD, CreditKind.SERIOUS

# The codes the portal's own writers use (records.credit_record_auto); a city may change their points,
# publication and evidence, or switch automatic writing off, but not their meaning.
STAR_RULES = {5: "star_5", 4: "star_4", 3: "star_3"}
ORDER_OVERDUE = "order_overdue"
INSPECTION_BELOW_60 = "inspection_below_60"
DISQUALIFIED = "disqualified"
MEDIA_EXPOSURE = "media_exposure"
MEDIA_EXPOSURE_THIRD = "media_exposure_third"
# Their kinds: a new version may change their figures, not what they are.
BUILTIN_KINDS = {STAR_RULES[5]: G, STAR_RULES[4]: G, STAR_RULES[3]: G, ORDER_OVERDUE: B, INSPECTION_BELOW_60: B,
                 DISQUALIFIED: B, MEDIA_EXPOSURE: B, MEDIA_EXPOSURE_THIRD: S}


@dataclass(frozen=True)
class DefaultRule:
    code: str
    name: str
    kind: str
    points: int
    points_min: int
    points_max: int
    publish_months: int
    evidence: str
    automatic: bool


# The defaults a city starts with (issue 12; 管城回族区 附件: 3★ and above are recorded as performance, 5★
# adds points; a major safety accident, group petitions, major crimes, three media exposures are bad
# records; 章贡区: serious breaches list the firm at once). Serious records also count −10 in the year's
# score: our choice, a city may change it (0 to −100).
DEFAULT_RULES = [
    DefaultRule(STAR_RULES[5], gettext_lazy("小区年度星级评定为五星级"), G, 3, 3, 3, 36,
                gettext_lazy("区住房保障服务中心确认的年度复查结论"), True),
    DefaultRule(STAR_RULES[4], gettext_lazy("小区年度星级评定为四星级"), G, 2, 2, 2, 36,
                gettext_lazy("区住房保障服务中心确认的年度复查结论"), True),
    DefaultRule(STAR_RULES[3], gettext_lazy("小区年度星级评定为三星级"), G, 1, 1, 1, 36,
                gettext_lazy("区住房保障服务中心确认的年度复查结论"), True),
    DefaultRule("award", gettext_lazy("获得区级及以上表彰奖励"), G, 3, 1, 3, 36,
                gettext_lazy("表彰决定或获奖证书"), False),
    DefaultRule(ORDER_OVERDUE, gettext_lazy("整改通知逾期未整改"), B, -2, -2, -2, 12,
                gettext_lazy("整改通知及其逾期记录"), True),
    DefaultRule(INSPECTION_BELOW_60, gettext_lazy("检查总分低于60分（每小区每季度至多一次）"), B, -1, -1, -1, 12,
                gettext_lazy("已提交的检查记录"), True),
    DefaultRule(DISQUALIFIED, gettext_lazy("小区被取消星级评定参评资格或发生重大投诉"), B, -5, -5, -5, 12,
                gettext_lazy("取消参评记录（重大投诉为认定重大投诉的工单）"), True),
    DefaultRule(MEDIA_EXPOSURE, gettext_lazy("被新闻媒体曝光"), B, -2, -2, -2, 12,
                gettext_lazy("媒体报道原文或截图"), False),
    DefaultRule(MEDIA_EXPOSURE_THIRD, gettext_lazy("同一年度内第三次被新闻媒体曝光"), S, -10, -10, -10, 36,
                gettext_lazy("同一年度内已确认的三次媒体曝光记录"), True),
    DefaultRule("safety_accident", gettext_lazy("发生重大安全责任事故"), S, -10, -10, -10, 36,
                gettext_lazy("事故调查报告或有关部门的认定文书"), False),
    DefaultRule("firm_disqualified", gettext_lazy("企业被取消参加评比表彰资格（群体上访、重大案件等）"), S, -10, -10, -10,
                36, gettext_lazy("区住房保障服务中心的认定文书"), False),
]

POLICY_FIELDS = ("base_score", "good_cap", "level_aaa", "level_aa", "level_a", "level_b", "blacklist_score",
                 "objection_days", "inspection_line", "note")
RULE_FIELDS = ("code", "name", "kind", "points", "points_min", "points_max", "publish_months", "evidence",
               "automatic")
DEFAULT_EFFECTIVE_FROM = datetime.date(2000, 1, 1)


def policy_in_force(on: datetime.date) -> CreditPolicy | None:
    return CreditPolicy.objects.in_force(on)


def ensure_default_credit_policy() -> CreditPolicy:
    """The first version (from 2000-01-01, the defaults above) when the city has none yet."""
    policy = CreditPolicy.objects.order_by("effective_from").first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            policy = CreditPolicy.objects.create(effective_from=DEFAULT_EFFECTIVE_FROM,
                                                 note=_("系统默认规则，可由市级管理员发布新版本调整。"))
            CreditRule.objects.bulk_create([
                CreditRule(policy=policy, order=i, **{f: str(getattr(r, f)) if f in ("name", "evidence")
                                                      else getattr(r, f) for f in RULE_FIELDS})
                for i, r in enumerate(DEFAULT_RULES)])
    except IntegrityError:  # created by a concurrent caller
        policy = CreditPolicy.objects.order_by("effective_from").first()
    return policy


def policy_for(on: datetime.date) -> CreditPolicy:
    return policy_in_force(on) or ensure_default_credit_policy()


def rule_for(code: str, on: datetime.date) -> CreditRule | None:
    return CreditRule.objects.filter(policy=policy_for(on), code=code).select_related("policy").first()


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day when it has no such day: 02-29 -> 02-28)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- validation ------------------------------------------------------------------------------------------

def policy_errors(data: dict) -> dict[str, str]:
    errors = {}
    levels = [data.get(k) for k in ("level_aaa", "level_aa", "level_a", "level_b")]
    if None not in levels and not (100 >= levels[0] > levels[1] > levels[2] > levels[3] > 0):
        errors["level_aaa"] = _("信用等级分数线必须从 AAA 到 B 严格递减，且在 1–100 之间。")
    for field in ("base_score", "good_cap", "blacklist_score", "inspection_line"):
        value = data.get(field)
        if value is not None and not 0 <= value <= 100:
            errors[field] = _("分数必须在 0–100 之间。")
    days = data.get("objection_days")
    if days is not None and not 1 <= days <= 30:
        errors["objection_days"] = _("异议期应为 1–30 个工作日。")
    return errors


def rule_errors(rule: dict) -> dict[str, str]:
    """One rule's own rules: points inside its range, the range's sign by kind, a publication period."""
    errors = {}
    kind, points = rule.get("kind"), rule.get("points")
    lo, hi = rule.get("points_min"), rule.get("points_max")
    if not (rule.get("name") or "").strip():
        errors["name"] = _("请填写规则名称。")
    if not (rule.get("evidence") or "").strip():
        errors["evidence"] = _("请填写证据要求。")
    if kind not in CreditKind.values:
        errors["kind"] = _("请选择良好信息、不良信息或严重失信。")
    if None in (points, lo, hi):
        errors["points"] = _("请填写分值及其上下限。")
    else:
        if not -100 <= lo <= points <= hi <= 100:
            errors["points"] = _("分值 %(p)s 不在其上下限 %(lo)s 至 %(hi)s 之内（上下限在 −100 至 100 之间）。") % {
                "p": points, "lo": lo, "hi": hi}
        elif kind == G and lo <= 0:
            errors["points"] = _("良好信息的分值必须为正数。")
        elif kind == B and hi >= 0:
            errors["points"] = _("不良信息的分值必须为负数。")
        elif kind == S and hi > 0:
            errors["points"] = _("严重失信的分值不能为正数。")
    months = rule.get("publish_months")
    if months is None or not 1 <= months <= 120:
        errors["publish_months"] = _("公示期应为 1–120 个月。")
    return errors


@transaction.atomic
def credit_policy_create(*, actor: User, effective_from: datetime.date, data: dict,
                         rules: list[dict]) -> CreditPolicy:
    """A new catalogue version (city administrators): every rule checked first, all saved or none.

    The portal's own rule codes must stay in the catalogue (their writers look them up); a year already
    published keeps its version, so a new one may not take effect on or before that year's end.
    """
    if not is_city_admin(actor):
        raise ValidationError(_("只有市级管理员可以修改企业信用规则。"))
    errors: dict[str, list[str]] = {k: [v] for k, v in policy_errors(data).items()}
    if effective_from is None:
        errors["effective_from"] = [_("请填写生效日期。")]
    elif CreditPolicy.objects.filter(effective_from=effective_from).exists():
        errors["effective_from"] = [_("该日期已有一个规则版本，请选择其他生效日期。")]
    else:
        last = CreditYear.objects.filter(status=CreditYearStatus.PUBLISHED).order_by("-year").first()
        if last is not None and effective_from <= datetime.date(last.year, 12, 31):
            errors["effective_from"] = [_("%(y)d 年度信用记分已公布，新版本只能在 %(y)d 年之后生效。") % {"y": last.year}]
    rule_messages, codes = [], set()
    for n, rule in enumerate(rules, start=1):
        code = (rule.get("code") or "").strip()
        label = rule.get("name") or code or _("第 %(n)d 条") % {"n": n}
        if not code:
            rule_messages.append(_("第 %(n)d 条规则：请填写规则代码。") % {"n": n})
        elif code in codes:
            rule_messages.append(_("规则代码“%(c)s”重复。") % {"c": code})
        codes.add(code)
        for message in rule_errors(rule).values():
            rule_messages.append(_("%(r)s：%(m)s") % {"r": label, "m": message})
    missing = sorted(set(BUILTIN_KINDS) - codes)
    if missing:
        rule_messages.append(_("平台自动记录所用的规则不能删除：%(c)s。") % {"c": "、".join(missing)})
    for rule in rules:
        kind = BUILTIN_KINDS.get((rule.get("code") or "").strip())
        if kind and rule.get("kind") != kind:
            rule_messages.append(_("“%(r)s”是平台自动记录所用的规则，类别须为“%(k)s”。") % {
                "r": rule.get("name") or rule.get("code"), "k": CreditKind(kind).label})
    if rule_messages:
        errors.setdefault("__all__", []).extend(rule_messages)
    if errors:
        raise ValidationError(errors)
    policy = CreditPolicy.objects.create(effective_from=effective_from, created_by=actor,
                                         **{f: data[f] for f in POLICY_FIELDS if f in data})
    CreditRule.objects.bulk_create([
        CreditRule(policy=policy, order=i, **{f: (r[f].strip() if isinstance(r[f], str) else r[f])
                                              for f in RULE_FIELDS})
        for i, r in enumerate(rules)])
    return policy
