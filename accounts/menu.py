"""The portal's menu, declared once: the pages each role works with, and its 待办 queues with their counts.

- `LINKS`: every page the menu may offer (label, URL name, icon, the group it sits in inside a dropdown).
- `ENTRIES`: the top-level items, in the order they appear.
- `MENUS`: per role, which entries it sees and which links each one holds.
- `QUEUES` / `TODO`: the queues that make up each role's 待办 (every role has one), each counted by a
  selector of the app that owns the rows.

A user with several roles sees the union, each item once: entries in `ENTRIES` order, queues in `QUEUES`
order, and the links of an entry in the order its roles list them (roles taken in `Role` order). An entry holding one link is that link; an entry
holding several is a dropdown.

The menu only hides. Every page keeps its own checks (scope, role, permission; 404 outside them), and a
link is declared for a role only where the page answers that role: tests/accounts/test_menu.py opens
every link of every persona. A page the portal does not have yet is left out, not invented (the
complaint time limits, for instance, are kept in the Django admin, which only city administrators open).

Cost: one query per page whatever the roles. `header_counts` reads the unread notifications of the bell
and every queue of the user as scalar subqueries of a single SELECT, once per request
(accounts/context_processors.py); building the menu itself reads only the cached scope.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Callable

from django.db.models import IntegerField, QuerySet, Subquery
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models import Notification, Role, User
from .scope import scope_of

R = Role


@dataclass(frozen=True)
class Link:
    label: Promise
    url_name: str
    icon: str
    group: Promise | None = None  # the heading it sits under in a dropdown holding several groups
    firm_page: str = ""  # for a user acting for exactly one firm: this page of that firm instead
    admin: bool = False  # a page of the Django admin: offered to superusers only (see `_allowed`)


@dataclass(frozen=True)
class Entry:
    key: str
    label: Promise
    icon: str


@dataclass(frozen=True)
class Queue:
    """What waits on the user: `rows(user, now)` gives the rows (a queryset, or several to add up);
    `url_name` + `query` is the existing page that lists them."""

    label: Promise
    url_name: str
    rows: Callable[[User, datetime.datetime], QuerySet | tuple[QuerySet, ...]]
    query: str = ""


def _selector(path: str, *args, now: bool = False) -> Callable:
    """A queue's rows: the selector at `path` (imported when first counted, so this module imports no other
    app), called with the user, the request's `now` when it takes one, and `args`."""

    def rows(user, at):
        function = import_string(path)
        return function(user, at, *args) if now else function(user, *args)

    rows.path = path
    return rows


BASE = _("基础数据")
CHECKS = _("检查整改")
COMPLAINTS = _("投诉")
RATINGS = _("星级评定")
SUBSIDIES = _("效能补贴")
POLICIES = _("政策")
CREDIT = _("信用")
PUBLIC = _("公开")

LINKS: dict[str, Link] = {
    "overview": Link(_("概况"), "home", "bi-speedometer2"),
    "estates": Link(_("小区"), "communities:estate_list", "bi-houses", BASE),
    "streets": Link(_("街道"), "communities:street_list", "bi-signpost-split", BASE),
    "communities": Link(_("社区"), "communities:community_list", "bi-house", BASE),
    "committees": Link(_("业委会"), "communities:committee_list", "bi-person-badge", BASE),
    "committee_assessments": Link(_("业委会年度考核"), "communities:assessment_list", "bi-clipboard2-check", BASE),
    "stations": Link(_("两站一中心"), "communities:station_list", "bi-geo-alt", BASE),
    "firm_self": Link(_("企业信息"), "enterprises:firm_list", "bi-building", BASE,
                      firm_page="enterprises:firm_detail"),
    "firms": Link(_("物业企业"), "enterprises:firm_list", "bi-building", BASE),
    "contracts": Link(_("服务合同"), "enterprises:contract_list", "bi-file-earmark-text", BASE),
    "credit": Link(_("企业信用"), "enterprises:credit_list", "bi-shield-check", CREDIT),
    "firm_credit": Link(_("企业信用"), "enterprises:credit_list", "bi-shield-check", CREDIT,
                        firm_page="enterprises:credit_file"),
    "credit_years": Link(_("年度信用记分"), "enterprises:credit_years", "bi-collection", CREDIT),
    "credit_rules": Link(_("企业信用规则"), "enterprises:credit_rules", "bi-journal-text", CREDIT),
    "credit_blacklist": Link(_("失信黑名单"), "enterprises:credit_blacklist", "bi-ban", CREDIT),
    "inspections": Link(_("检查记录"), "inspections:inspection_list", "bi-clipboard-check", CHECKS),
    "progress": Link(_("检查计划进度"), "inspections:progress", "bi-calendar-check", CHECKS),
    "orders": Link(_("整改通知"), "inspections:order_list", "bi-tools", CHECKS),
    # The complaint pages and the roles that use them are declared in complaints/views/cases_menu.py, which
    # the pages check (404 otherwise); tests/complaints/test_pages_permissions.py holds the two together.
    "complaints": Link(_("投诉工单"), "complaints:list", "bi-list-ul", COMPLAINTS),
    "complaint_triage": Link(_("待分拣"), "complaints:triage", "bi-signpost-split", COMPLAINTS),
    "complaint_new": Link(_("登记投诉"), "complaints:new", "bi-plus-lg", COMPLAINTS),
    "complaint_rates": Link(_("办理情况统计"), "complaints:rates", "bi-bar-chart", COMPLAINTS),
    "complaint_imports": Link(_("12345 导入"), "complaints:import_list", "bi-file-earmark-arrow-up", COMPLAINTS),
    "apply": Link(_("申报星级评定"), "ratings:application_submit", "bi-send", RATINGS),
    "applications": Link(_("申报记录"), "ratings:application_list", "bi-collection", RATINGS),
    "my_ratings": Link(_("我的星级"), "ratings:my_ratings", "bi-stars", RATINGS),
    "score_entry": Link(_("意见及满意度得分"), "ratings:score_entry", "bi-pencil-square", RATINGS),
    "periods": Link(_("评定期与结果"), "ratings:period_list", "bi-star", RATINGS),
    "disqualifications": Link(_("取消参评记录"), "ratings:disqualification_list", "bi-ban", RATINGS),
    "yearly": Link(_("年度复查"), "ratings:yearly", "bi-calendar-check", RATINGS),
    "batches": Link(_("补贴批次"), "subsidies:batch_list", "bi-cash-coin", SUBSIDIES),
    "my_payouts": Link(_("我的补贴"), "subsidies:mine", "bi-wallet2", SUBSIDIES),
    "maintenance": Link(_("老旧小区维修资金"), "maintenance:application_list", "bi-hammer", SUBSIDIES),
    "rubrics": Link(_("评分细则"), "inspections:rubric_list", "bi-journal-text", POLICIES),
    "frequencies": Link(_("检查频次设置"), "inspections:frequencies", "bi-calendar3", POLICIES),
    "rating_policies": Link(_("评定政策"), "ratings:policy_list", "bi-star-half", POLICIES),
    "subsidy_policies": Link(_("补贴政策"), "subsidies:policy_list", "bi-cash-coin", POLICIES),
    "sanction_policies": Link(_("企业惩戒政策"), "enterprises:sanction_policy_list", "bi-exclamation-octagon", POLICIES),
    "public_ratings": Link(_("星级公示（公开）"), "ratings:public_list", "bi-megaphone", PUBLIC),
    "public_credit": Link(_("信用公示（公开）"), "enterprises:public_credit", "bi-megaphone", PUBLIC),
    # Accounts in the browser (accounts/views: the page itself refuses roles that may not manage users);
    # the Django admin's user page only for superusers (see _allowed).
    "users": Link(_("用户管理"), "accounts:user_list", "bi-people"),
    "api_tokens": Link(_("接口令牌"), "accounts:token_list", "bi-key"),
    "user_admin": Link(_("用户（后台管理）"), "admin:accounts_user_changelist", "bi-person-gear", admin=True),
    "calendar": Link(_("工作日历"), "workdays:year_list", "bi-calendar3"),
}

TODO_KEY = "todo"
ENTRIES: tuple[Entry, ...] = (
    Entry(TODO_KEY, _("待办"), "bi-inbox"),
    Entry("city", _("全市"), "bi-globe2"),
    Entry("stats", _("统计"), "bi-bar-chart-line"),
    Entry("firm", _("本企业"), "bi-building"),
    Entry("my_estates", _("我的小区"), "bi-houses"),
    Entry("estates", _("小区"), "bi-houses"),
    Entry("inspections", _("检查"), "bi-clipboard-check"),
    Entry("orders", _("整改"), "bi-tools"),
    Entry("complaints", _("投诉"), "bi-telephone-inbound"),
    Entry("opinions", _("评定意见"), "bi-star-half"),
    Entry("ratings", _("评定"), "bi-star"),
    Entry("apply", _("星级申报"), "bi-send"),
    Entry("my_ratings", _("我的星级"), "bi-stars"),
    Entry("subsidies", _("补贴"), "bi-cash-coin"),
    Entry("my_subsidies", _("我的补贴"), "bi-wallet2"),
    Entry("policies", _("政策"), "bi-journal-text"),
    Entry("credit", _("信用"), "bi-shield-check"),
    Entry("users", _("用户"), "bi-people"),
    Entry("calendar", _("日历"), "bi-calendar3"),
)

_DISTRICT_DATA = ("overview", "estates", "streets", "communities", "committees", "committee_assessments", "stations",
                  "firms", "contracts", "credit", "inspections", "progress", "orders")

MENUS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    R.CITY_ADMIN: (
        ("city", ("overview", "estates", "streets", "communities", "committees", "stations", "firms", "contracts",
                  "inspections", "progress", "orders", "complaints", "complaint_rates",
                  "applications", "score_entry", "periods", "disqualifications", "yearly", "batches",
                  "rubrics", "frequencies", "rating_policies", "subsidy_policies")),
        ("credit", ("credit", "credit_years", "credit_rules", "credit_blacklist", "public_credit")),
        ("users", ("users", "api_tokens", "user_admin")),
        ("calendar", ("calendar",)),
    ),
    R.DISTRICT_ADMIN: (
        ("stats", _DISTRICT_DATA + ("complaints", "complaint_triage", "complaint_new", "complaint_rates",
                                    "complaint_imports")),
        ("ratings", ("applications", "score_entry", "periods", "disqualifications", "yearly", "public_ratings")),
        ("subsidies", ("batches", "maintenance")),
        ("policies", ("rubrics", "frequencies", "rating_policies", "subsidy_policies", "sanction_policies", "users",
                      "api_tokens")),
    ),
    # District staff: no score entry, no inspection frequencies, no triage or registration (those pages
    # refuse them).
    R.DISTRICT_STAFF: (
        ("stats", _DISTRICT_DATA + ("complaints", "complaint_rates", "complaint_imports")),
        ("ratings", ("applications", "periods", "disqualifications", "yearly", "public_ratings")),
        ("subsidies", ("batches", "maintenance")),
        ("policies", ("rubrics", "rating_policies", "subsidy_policies", "sanction_policies")),
    ),
    R.STREET_STAFF: (
        ("estates", ("estates", "communities", "committees", "committee_assessments", "stations", "firms", "contracts",
                     "credit")),
        ("inspections", ("inspections", "progress", "rubrics")),
        ("orders", ("orders",)),
        ("complaints", ("complaints", "complaint_triage", "complaint_new", "complaint_rates", "complaint_imports")),
        # The street's opinion scores, the applications it reports, and the payouts it passes on to firms.
        ("opinions", ("score_entry", "applications", "periods", "disqualifications", "yearly", "batches",
                      "my_payouts", "maintenance")),
    ),
    R.COMMUNITY_CLERK: (
        ("estates", ("estates", "committees", "firms", "contracts")),
        ("inspections", ("inspections", "progress", "rubrics")),
        ("orders", ("orders",)),
        ("complaints", ("complaints",)),
        ("my_subsidies", ("my_payouts",)),
    ),
    R.FIRM_USER: (
        ("firm", ("firm_self", "contracts", "committees", "firm_credit")),
        ("my_estates", ("estates",)),
        ("orders", ("orders", "inspections", "complaints")),
        ("apply", ("apply", "applications")),
        ("my_ratings", ("my_ratings",)),
        ("my_subsidies", ("my_payouts",)),
    ),
}

QUEUES: dict[str, Queue] = {
    "complaint_tasks": Queue(_("投诉待办"), "complaints:tasks", _selector("complaints.selectors.my_tasks", now=True)),
    "orders_issued": Queue(_("待整改"), "inspections:order_list",
                           _selector("inspections.selectors.orders_waiting_on_firm", "issued"), "status=issued"),
    "orders_returned": Queue(_("退回重改"), "inspections:order_list",
                             _selector("inspections.selectors.orders_waiting_on_firm", "returned"), "status=returned"),
    "orders_overdue": Queue(_("整改已逾期"), "inspections:order_list",
                            _selector("inspections.selectors.orders_waiting_on_firm", "overdue"), "status=overdue"),
    "orders_to_accept": Queue(_("整改待验收"), "inspections:order_list",
                              _selector("inspections.selectors.orders_to_accept"), "status=answered"),
    "applications_to_report": Queue(_("申报待审核上报"), "ratings:application_list",
                                    _selector("ratings.selectors.applications_to_report"), "status=submitted"),
    "applications_to_accept": Queue(_("申报待受理"), "ratings:application_list",
                                    _selector("ratings.selectors.applications_to_accept"), "status=reported"),
    "batches_to_check": Queue(_("补贴批次待审核"), "subsidies:batch_list",
                              _selector("subsidies.selectors.batches_awaiting", "check"), "status=generated"),
    "batches_to_approve": Queue(_("补贴批次待批准"), "subsidies:batch_list",
                                _selector("subsidies.selectors.batches_awaiting", "approve"), "status=checked"),
    "batches_to_disburse": Queue(_("补贴待拨付街道"), "subsidies:batch_list",
                                 _selector("subsidies.selectors.batches_awaiting", "disburse"), "status=approved"),
    # The list shows every batch disbursed to the district's streets; the count, those in which the user's
    # street still has a firm to pay.
    "batches_to_pass_on": Queue(_("补贴待拨付企业"), "subsidies:batch_list",
                                _selector("subsidies.selectors.batches_to_pass_on"), "status=disbursed"),
    "credit_queue": Queue(_("信用待办"), "enterprises:credit_queue", _selector("enterprises.credit.selectors.queue_rows")),
    "credit_years": Queue(_("年度信用记分待审核"), "enterprises:credit_years",
                          _selector("enterprises.credit.selectors.years_to_review")),
}

TODO: dict[str, tuple[str, ...]] = {
    R.CITY_ADMIN: ("credit_queue", "credit_years"),
    R.DISTRICT_ADMIN: ("complaint_tasks", "applications_to_accept", "batches_to_check", "batches_to_approve",
                       "batches_to_disburse", "credit_queue"),
    R.DISTRICT_STAFF: ("complaint_tasks", "batches_to_check", "batches_to_disburse", "credit_queue"),
    R.STREET_STAFF: ("complaint_tasks", "orders_to_accept", "applications_to_report", "batches_to_pass_on",
                     "credit_queue"),
    R.COMMUNITY_CLERK: ("orders_to_accept",),
    R.FIRM_USER: ("complaint_tasks", "orders_issued", "orders_returned", "orders_overdue"),
}

# Two-way evaluation (evaluations/, 履约双向评价): the campaigns page in an entry each role already has, and
# the questionnaires a street or firm still owes in the campaign open today as a queue (community clerks
# see theirs on the campaign page; committees' paper questionnaires wait on the paper, not on anyone).
LINKS["evaluations"] = Link(_("履约双向评价"), "evaluations:campaign_list", "bi-chat-square-quote")
for _role, _entry in ((R.CITY_ADMIN, "city"), (R.DISTRICT_ADMIN, "ratings"), (R.DISTRICT_STAFF, "ratings"),
                      (R.STREET_STAFF, "opinions"), (R.COMMUNITY_CLERK, "estates"), (R.FIRM_USER, "firm")):
    MENUS[_role] = tuple((e, keys + ("evaluations",)) if e == _entry else (e, keys) for e, keys in MENUS[_role])
QUEUES["evaluations_to_fill"] = Queue(_("待填双向评价"), "evaluations:campaign_list",
                                      _selector("evaluations.selectors.to_fill", now=True))
for _role in (R.STREET_STAFF, R.FIRM_USER):
    TODO[_role] = TODO[_role] + ("evaluations_to_fill",)


# The old-estate maintenance fund (maintenance/): each step's applications wait on the roles that take it
# (maintenance.services.applications.TRANSITIONS): district staff and admins review and disburse, admins
# approve, the street corrects a returned application.
for _key, _label, _status in (("fund_to_review", _("维修资金待审核"), "submitted"),
                              ("fund_to_approve", _("维修资金待批准"), "reviewed"),
                              ("fund_to_disburse", _("维修资金待拨付"), "approved"),
                              ("fund_returned", _("维修资金申请被退回"), "returned")):
    QUEUES[_key] = Queue(_label, "maintenance:application_list",
                         _selector("maintenance.selectors.applications_awaiting", _status), f"status={_status}")
for _role, _keys in ((R.DISTRICT_ADMIN, ("fund_to_review", "fund_to_approve", "fund_to_disburse")),
                     (R.DISTRICT_STAFF, ("fund_to_review", "fund_to_disburse")),
                     (R.STREET_STAFF, ("fund_returned",))):
    TODO[_role] = TODO[_role] + _keys


# --- reading the declaration -------------------------------------------------------------------------------

def roles_of(user) -> frozenset:
    """The roles the menu follows (a superuser counts as a city administrator, as the scope does)."""
    scope = scope_of(user)
    return (scope.roles | {R.CITY_ADMIN}) if scope.city_admin else scope.roles


def queues_for(user) -> list[str]:
    """The keys of the user's queues, in `QUEUES` order."""
    wanted = {key for role in roles_of(user) for key in TODO.get(role, ())}
    return [key for key in QUEUES if key in wanted]


def _links_for(user) -> dict[str, list[str]]:
    """entry key -> the keys of its links this user sees: each role's own order, roles taken in `Role`
    order, each link once."""
    roles = roles_of(user)
    out: dict[str, list[str]] = {}
    for role in Role:
        if role not in roles:
            continue
        for entry, keys in MENUS.get(role, ()):
            seen = out.setdefault(entry, [])
            seen.extend(key for key in keys if key not in seen and _allowed(user, LINKS[key]))
    return {entry: keys for entry, keys in out.items() if keys}


def _allowed(user, link: Link) -> bool:
    """The Django admin opens to staff city administrators (accounts/admin_site.py) and then asks for model
    permissions, which a superuser holds. Asking for a non-superuser's permissions would cost two queries
    on every page, so the menu offers admin pages to superusers only: it may hide a page its user could
    open (a staff member given the permission by hand), never show one that refuses them."""
    return not link.admin or (user.is_active and user.is_staff and user.is_superuser)


# --- the one query -----------------------------------------------------------------------------------------

class _RowCount(Subquery):
    """(SELECT COUNT(*) FROM (<rows>)): a queryset's row count as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS portal_rows)"
    output_field = IntegerField()


@dataclass(frozen=True)
class HeaderCounts:
    unread: int = 0
    queues: dict = field(default_factory=dict)  # queue key -> rows waiting


def header_counts(user, now: datetime.datetime) -> HeaderCounts:
    """The bell's unread notifications and the rows of each of the user's queues, in one query."""
    if user is None or not user.is_authenticated:
        return HeaderCounts()
    parts = {"unread": [Notification.objects.filter(user=user, read_at__isnull=True)]}
    for key in queues_for(user):
        rows = QUEUES[key].rows(user, now)
        parts[key] = list(rows) if isinstance(rows, (tuple, list)) else [rows]
    columns = {}
    for key, querysets in parts.items():
        for qs in querysets:
            if not qs.query.is_empty():
                columns[f"c{len(columns)}"] = (key, _RowCount(qs.order_by().values("pk")))
    totals = dict.fromkeys(parts, 0)
    if columns:
        row = (User.objects.filter(pk=user.pk).annotate(**{name: expr for name, (_key, expr) in columns.items()})
               .values(*columns).first()) or {}
        for name, (key, _expr) in columns.items():
            totals[key] += row.get(name) or 0
    unread = totals.pop("unread")
    return HeaderCounts(unread=unread, queues=totals)


# --- what the template renders -----------------------------------------------------------------------------

@dataclass
class Item:
    key: str
    label: str
    icon: str
    url: str = ""
    count: int | None = None  # a queue's rows (待办 only)
    groups: list = field(default_factory=list)  # [(heading or None, [Item])] of a dropdown
    active: bool = False

    @property
    def children(self) -> list:
        return [child for _heading, items in self.groups for child in items]

    @property
    def is_dropdown(self) -> bool:
        return bool(self.groups)

    @property
    def wide(self) -> bool:
        return len(self.children) > 10


def _url(url_name: str, query: str = "", args=None) -> str:
    url = reverse(url_name, args=args)
    return f"{url}?{query}" if query else url


def _link_item(key: str, user) -> Item:
    link = LINKS[key]
    firms = scope_of(user).ids("firm", edit=True) if link.firm_page else ()
    url = _url(link.firm_page, args=[next(iter(firms))]) if len(firms) == 1 else _url(link.url_name)
    return Item(key, str(link.label), link.icon, url)


HEADINGS_FROM = 8  # a dropdown of this many links or more, from several groups, shows the groups' headings


def _grouped(keys: list[str], items: list[Item]) -> list:
    """[(heading, items)]: consecutive links of one group together under its heading (long dropdowns only)."""
    headings = [LINKS[key].group for key in keys]
    if len(items) < HEADINGS_FROM or len({str(h) for h in headings}) < 2:
        return [(None, items)]
    groups: list = []
    for heading, item in zip(headings, items):
        if not groups or groups[-1][0] != (str(heading) if heading else None):
            groups.append((str(heading) if heading else None, []))
        groups[-1][1].append(item)
    return groups


def menu_for(user, counts: HeaderCounts, path: str = "") -> list[Item]:
    """The user's menu: top-level Items in `ENTRIES` order (a link, or a dropdown of groups of links), the
    one holding `path` marked active."""
    links = _links_for(user)
    queues = queues_for(user)
    out = []
    for entry in ENTRIES:
        if entry.key == TODO_KEY:
            if not queues:
                continue
            children = [Item(key, str(QUEUES[key].label), "", _url(QUEUES[key].url_name, QUEUES[key].query),
                             count=counts.queues.get(key, 0)) for key in queues]
            total = sum(child.count for child in children)
            if len(children) == 1:
                out.append(Item(entry.key, str(entry.label), entry.icon, children[0].url, count=total))
            else:
                out.append(Item(entry.key, str(entry.label), entry.icon, count=total, groups=[(None, children)]))
            continue
        keys = links.get(entry.key)
        if not keys:
            continue
        items = [_link_item(key, user) for key in keys]
        if len(items) == 1:
            out.append(Item(entry.key, str(entry.label), entry.icon, items[0].url))
        else:
            out.append(Item(entry.key, str(entry.label), entry.icon, groups=_grouped(keys, items)))
    _mark_active(out, path)
    return out


def _mark_active(items: list[Item], path: str) -> None:
    """The entry (and link) whose page `path` is, or lies under: the longest matching URL wins."""
    best, best_len = None, 0
    for item in items:
        for candidate in ([item] if not item.is_dropdown else item.children):
            url = candidate.url.split("?", 1)[0]
            if not url or (url == "/" and path != "/") or not path.startswith(url):
                continue
            if len(url) > best_len:
                best, best_len = (item, candidate), len(url)
    if best:
        best[0].active = best[1].active = True
