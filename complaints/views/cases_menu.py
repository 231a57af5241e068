"""Which complaint pages each role uses, declared once: the pages check it (accounts/menu.py links them, and
tests/complaints/test_pages_permissions.py holds the two together).

A page a role does not use is "not found" (404) for that role, as everything outside one's scope is; the
services still decide every action. City administrators see the list and the rates of the whole city.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.scope import scope_of

R = Role
ALL_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class Page:
    url_name: str
    label: Promise
    icon: str
    roles: frozenset


PAGES: tuple[Page, ...] = (
    Page("complaints:list", _("工单列表"), "bi-list-ul", ALL_ROLES),
    Page("complaints:tasks", _("我的待办"), "bi-alarm",
         frozenset({R.STREET_STAFF, R.FIRM_USER, R.DISTRICT_ADMIN, R.DISTRICT_STAFF})),
    Page("complaints:triage", _("待分拣"), "bi-signpost-split", frozenset({R.STREET_STAFF, R.DISTRICT_ADMIN})),
    Page("complaints:new", _("登记投诉"), "bi-plus-lg", frozenset({R.STREET_STAFF, R.DISTRICT_ADMIN})),
    Page("complaints:rates", _("办理情况统计"), "bi-bar-chart",
         frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.DISTRICT_STAFF, R.STREET_STAFF})),
    # The import engineer's pages (complaints/views/imports.py): its landing page is the list of runs.
    Page("complaints:import_list", _("12345 导入"), "bi-file-earmark-arrow-up",
         frozenset({R.STREET_STAFF, R.DISTRICT_ADMIN, R.DISTRICT_STAFF})),
)
BY_NAME = {p.url_name: p for p in PAGES}


def uses(user, url_name: str) -> bool:
    """Does this user's role use the page? (from the cached scope: no query)"""
    scope = scope_of(user)
    roles = set(scope.roles)
    if scope.city_admin:
        roles.add(Role.CITY_ADMIN)
    return bool(roles & BY_NAME[url_name].roles)


def require_page(request, url_name: str) -> None:
    if not uses(request.user, url_name):
        raise Http404(_("页面不存在"))


def menu_for(user) -> list[tuple[str, Promise, str]]:
    """[(url, label, icon)] of the pages this user uses; a page whose URL does not exist yet is left out."""
    items = []
    for page in PAGES:
        if not uses(user, page.url_name):
            continue
        try:
            items.append((reverse(page.url_name), page.label, page.icon))
        except NoReverseMatch:
            continue
    return items
