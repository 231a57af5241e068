"""What each role may do, declared once (issue 15: "decide what district staff may do and enforce it in one
place").

Seeing is granted by any role inside its own unit (accounts/scope.py). Doing is declared here: each
capability names the roles that hold it, each for its own unit (a district role for its district, a street
role for its street, …), and whether city administrators hold it too, everywhere. The services ask
`allows()` or read `roles_at()` instead of writing role sets of their own, the page /accounts/roles/ and the
README's table show this declaration, and tests/accounts/test_capabilities.py runs every capability against
every role through the services that enforce it.

The decision for 区级工作人员 (district staff): they are the district's 经办人. They generate, check and
disburse payout batches, handle the district's part of complaints (register, send to a street, urge,
supervise, exclude from the figures) and keep the district's credit file (record, confirm, repair, decide a
street's objections), but they change no district data (policies, rubric, estates), do not approve or return
batches or register adjustments, do not compute, announce or publish ratings or decide appeals, manage no
accounts, and do not confirm or repair the serious records that put a firm on the blacklist or take it off.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import ROLE_TARGET, Role


@dataclass(frozen=True)
class Capability:
    label: str  # what it lets one do, in the words of the page
    roles: frozenset  # the roles that hold it, each for its own unit
    # City administrators hold it too: in every district, or, where the capability acts for a recording unit
    # (credit), for the city's own unit (市住房管理中心).
    city: bool = True
    enforced_by: str = ""  # where the services ask it (for the reader)


R = Role
CAPABILITIES: dict[str, Capability] = {
    "records.edit": Capability(
        _("修改本单位的数据：区管理员维护本区的小区档案、评分细则、评定与补贴政策；街道维护小区、业委会，检查、整改；"
          "社区日常检查；企业本企业的申报和答复"),
        frozenset({R.DISTRICT_ADMIN, R.STREET_STAFF, R.COMMUNITY_CLERK, R.FIRM_USER}),
        enforced_by="accounts.scope.EDIT_ROLES (editable_by of every scoped model)"),
    "users.manage": Capability(
        _("管理账号：开设账号，添加和撤销角色，停用和启用，重设密码，签发接口令牌"),
        frozenset({R.DISTRICT_ADMIN}), enforced_by="accounts.services.grantable_roles"),
    "ratings.decide": Capability(
        _("星级评定：计算、公示、重新计算、作废、确认并公布评定结果，处理申诉，更正已公布结果"),
        frozenset({R.DISTRICT_ADMIN}), enforced_by="ratings.services.periods.is_district_admin"),
    "subsidies.generate": Capability(
        _("生成和重新生成补贴批次"),
        frozenset({R.DISTRICT_ADMIN, R.DISTRICT_STAFF}), enforced_by="subsidies.services.generation.may_generate"),
    "subsidies.check": Capability(
        _("审核补贴批次"),
        frozenset({R.DISTRICT_ADMIN, R.DISTRICT_STAFF}), enforced_by="subsidies.services.approvals.TRANSITIONS"),
    "subsidies.approve": Capability(
        _("批准补贴批次，退回审核，撤回批准"),
        frozenset({R.DISTRICT_ADMIN}), enforced_by="subsidies.services.approvals.TRANSITIONS"),
    "subsidies.disburse": Capability(
        _("登记补贴拨付到街道"),
        frozenset({R.DISTRICT_ADMIN, R.DISTRICT_STAFF}), enforced_by="subsidies.services.approvals.TRANSITIONS"),
    "subsidies.pass_on": Capability(
        _("登记本街道把补贴拨付给企业"),
        frozenset({R.STREET_STAFF}), enforced_by="subsidies.services.approvals.pass_on_record"),
    "subsidies.adjust": Capability(
        _("登记已批准补贴的调整"),
        frozenset({R.DISTRICT_ADMIN}), enforced_by="subsidies.services.approvals.adjustment_create"),
    "complaints.district": Capability(
        _("区级投诉办理：登记投诉，派往街道，催办，督办，排除统计，查看投诉人信息"),
        frozenset({R.DISTRICT_ADMIN, R.DISTRICT_STAFF}), city=False,
        enforced_by="complaints.services.flow.actor_kinds, intake, selectors.in_handling_chain"),
    "complaints.import": Capability(
        _("导入 12345 工单（区管理员为本区各街道，街道工作人员为本街道）"),
        frozenset({R.DISTRICT_ADMIN, R.STREET_STAFF}), enforced_by="complaints.services.imports.common.may_import"),
    "credit.keep": Capability(
        _("信用记录：录入、确认和修复本单位的记录，处理下级单位记录的异议"),
        frozenset({R.DISTRICT_ADMIN, R.DISTRICT_STAFF, R.STREET_STAFF}),
        enforced_by="enterprises.credit.permissions.KEEPER_ROLES"),
    "credit.serious": Capability(
        _("确认或修复严重失信记录（企业随即列入或移出失信黑名单）"),
        frozenset({R.DISTRICT_ADMIN, R.STREET_STAFF}),
        enforced_by="enterprises.credit.permissions.confirm_refusal, repair_refusal"),
}


def capability(name: str) -> Capability:
    return CAPABILITIES[name]


def roles_for(name: str) -> frozenset:
    """The roles that hold `name` (city administrators aside: see `Capability.city`)."""
    return CAPABILITIES[name].roles


def roles_at(name: str, level: str) -> tuple:
    """The roles that hold `name` for a unit of `level` ("district", "street", "community", "firm")."""
    return tuple(r for r in Role if r in CAPABILITIES[name].roles and ROLE_TARGET.get(r) == level)


def allows(user, name: str, *, level: str, unit_id: int | None) -> bool:
    """May `user` do `name` for the district/street/community/firm `unit_id` of `level`?"""
    from .scope import scope_of

    scope = scope_of(user)
    if CAPABILITIES[name].city and scope.city_admin:
        return True
    return unit_id is not None and any(scope.holds(r, unit_id) for r in roles_at(name, level))


def units(user, name: str, level: str) -> frozenset:
    """The ids of the units of `level` for which `user` holds `name` through a role (not through the city)."""
    from .scope import scope_of

    by_role = scope_of(user).by_role
    return frozenset().union(*(by_role.get(r, frozenset()) for r in roles_at(name, level)))


def table() -> list[dict]:
    """The declaration as the roles page shows it: one row per capability, one yes/no per role."""
    return [{"name": name, "label": cap.label,
             "cells": [cap.city if role == Role.CITY_ADMIN else role in cap.roles for role in Role]}
            for name, cap in CAPABILITIES.items()]
