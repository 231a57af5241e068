"""The audit page's rows: every change to an account and to its roles, newest first.

The changes are django-simple-history rows of User (without the password hash and the last login) and of
RoleAssignment (a role is added or removed, never edited), each with who made it (`history_user`) and why
(`history_change_reason`, set by accounts.services). The two tables are read as one list:

1. `audit_entries(actor, ...)`: a UNION of (kind, history id, date) over both tables, scoped and filtered,
   newest first: what the paginator counts and cuts;
2. `audit_rows(entries)`: the page's rows with their field-level changes, in a fixed number of queries
   however long the page (the user rows, the rows before them to diff against, the role rows, the
   accounts' names).

Scope: a city administrator sees every change; a district administrator the changes of the accounts on
their user page (`users_managed_by`) and the roles given or taken inside their district; nobody else has
the page.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import CharField, F, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ROLE_TARGET, Role, RoleAssignment, User
from .scope import scope_of

# The reason on the rows the migration wrote for the accounts and roles that existed before their history
# was kept (accounts/migrations/0008_user_history.py): not changes, so never listed, but the first real
# change of such an account is diffed against them.
BASELINE_REASON = "启用变更记录时的状态"

# Fields of an account the page shows, in this order, with the label (Chinese) and how a value reads.
USER_FIELDS = ("username", "full_name", "phone", "email", "is_active", "must_change_password", "email_digest",
               "is_staff", "is_superuser", "first_name", "last_name")


def _user_label(name: str) -> str:
    if name == "is_active":
        return _("账号状态")
    return str(User._meta.get_field(name).verbose_name)


def _user_value(name: str, value) -> str:
    if name == "is_active":
        return _("正常") if value else _("已停用")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return "—" if value in (None, "") else str(value)


def _scope_q(actor: User) -> tuple[Q, Q] | None:
    """(filter of user rows, filter of role rows) for `actor`; None: they see nothing."""
    from .capabilities import units
    from .services import grantable_targets, users_managed_by

    scope = scope_of(actor)
    if scope.city_admin:
        return Q(), Q()
    districts = units(actor, "users.manage", "district")
    if not districts:
        return None
    users = Q(id__in=users_managed_by(actor).values("pk"))
    roles = (Q(district_id__in=districts) | Q(street__district_id__in=districts)
             | Q(community__street__district_id__in=districts)
             | Q(firm_id__in=grantable_targets(actor, "firm").values("pk")))
    return users, roles


def audit_entries(actor: User, *, account: User | None = None, editor: User | None = None,
                  date_from: datetime.date | None = None, date_to: datetime.date | None = None):
    """The changes `actor` may see, filtered, as (kind, hid, at) rows newest first (a UNION query)."""
    HistoricalUser = User.history.model
    HistoricalRole = RoleAssignment.history.model
    scoped = _scope_q(actor)
    if scoped is None:
        return HistoricalUser.objects.none().values("history_id")
    user_q, role_q = scoped
    common = Q()
    if editor is not None:
        common &= Q(history_user_id=editor.pk)
    tz = timezone.get_current_timezone()
    if date_from is not None:
        common &= Q(history_date__gte=datetime.datetime.combine(date_from, datetime.time.min, tz))
    if date_to is not None:
        common &= Q(history_date__lt=datetime.datetime.combine(date_to + datetime.timedelta(days=1),
                                                               datetime.time.min, tz))
    if account is not None:
        user_q &= Q(id=account.pk)
        role_q &= Q(user_id=account.pk)
    kind = CharField()
    users = (HistoricalUser.objects.filter(user_q, common).exclude(history_change_reason=BASELINE_REASON)
             .order_by().values(kind=Value("user", output_field=kind), hid=F("history_id"), at=F("history_date")))
    roles = (HistoricalRole.objects.filter(role_q, common).exclude(history_change_reason=BASELINE_REASON)
             .order_by().values(kind=Value("role", output_field=kind), hid=F("history_id"), at=F("history_date")))
    return users.union(roles, all=True).order_by("-at", "-hid")


@dataclass
class AuditRow:
    at: datetime.datetime
    editor: User | None
    account_id: int | None
    account: str
    action: str
    reason: str
    changes: list = field(default_factory=list)  # (label, old, new)


def _previous(model, hids):
    """The records just before each of `hids` of the same object: {hid: previous record}."""
    before = model.objects.filter(id=OuterRef("id")).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
    ).order_by("-history_date", "-history_id").values("history_id")[:1]
    pairs = dict(model.objects.filter(history_id__in=hids).annotate(prev=Subquery(before))
                 .values_list("history_id", "prev"))
    return pairs


def _role_text(record) -> str:
    target = record.district or record.street or record.community or record.firm
    label = str(Role(record.role).label) if record.role in Role.values else record.role
    if ROLE_TARGET.get(record.role) and target is None:
        return f"{label} · #{record.district_id or record.street_id or record.community_id or record.firm_id}"
    return f"{label} · {target}" if target is not None else label


def audit_rows(entries) -> list[AuditRow]:
    """The rows of one page of `audit_entries`, in its order, each with its field-level changes."""
    HistoricalUser = User.history.model
    HistoricalRole = RoleAssignment.history.model
    entries = list(entries)
    user_hids = [e["hid"] for e in entries if e["kind"] == "user"]
    role_hids = [e["hid"] for e in entries if e["kind"] == "role"]
    rows: dict[tuple, AuditRow] = {}

    if user_hids:
        records = {r.history_id: r for r in HistoricalUser.objects.filter(history_id__in=user_hids)
                   .select_related("history_user")}
        changed = [h for h, r in records.items() if r.history_type == "~"]
        prev_of = _previous(HistoricalUser, changed) if changed else {}
        prevs = HistoricalUser.objects.in_bulk([p for p in prev_of.values() if p])
        for hid, rec in records.items():
            row = AuditRow(at=rec.history_date, editor=rec.history_user, account_id=rec.id,
                           account=f"{rec.username}（{rec.full_name}）" if rec.full_name else rec.username,
                           action={"+": _("开设账号"), "~": _("修改账号"), "-": _("删除账号")}[rec.history_type],
                           reason=rec.history_change_reason or "")
            prev = prevs.get(prev_of.get(hid))
            for name in USER_FIELDS:
                new = getattr(rec, name)
                if rec.history_type == "+":
                    if new not in (None, "", False) or name == "must_change_password":
                        row.changes.append((_user_label(name), "—", _user_value(name, new)))
                elif rec.history_type == "~" and prev is not None and getattr(prev, name) != new:
                    row.changes.append((_user_label(name), _user_value(name, getattr(prev, name)),
                                        _user_value(name, new)))
            rows[("user", hid)] = row

    if role_hids:
        related = ("history_user", "district", "street", "community", "firm")
        records = {r.history_id: r for r in HistoricalRole.objects.filter(history_id__in=role_hids)
                   .select_related(*related)}
        changed = [h for h, r in records.items() if r.history_type == "~"]
        prev_of = _previous(HistoricalRole, changed) if changed else {}
        prevs = (HistoricalRole.objects.select_related(*related[1:]).in_bulk([p for p in prev_of.values() if p])
                 if prev_of else {})
        accounts = User.objects.only("username", "full_name").in_bulk({r.user_id for r in records.values()})
        label = _("角色")
        for hid, rec in records.items():
            who = accounts.get(rec.user_id)
            row = AuditRow(at=rec.history_date, editor=rec.history_user, account_id=rec.user_id,
                           account=(f"{who.username}（{who.full_name}）" if who and who.full_name
                                    else who.username if who else f"#{rec.user_id}"),
                           action={"+": _("添加角色"), "~": _("修改角色"), "-": _("撤销角色")}[rec.history_type],
                           reason=rec.history_change_reason or "")
            if rec.history_type == "+":
                row.changes.append((label, "—", _role_text(rec)))
            elif rec.history_type == "-":
                row.changes.append((label, _role_text(rec), "—"))
            else:
                prev = prevs.get(prev_of.get(hid))
                row.changes.append((label, _role_text(prev) if prev else "—", _role_text(rec)))
            rows[("role", hid)] = row

    for row in rows.values():
        if row.reason == row.action:
            row.reason = ""  # "添加角色" twice says nothing more
    return [rows[(e["kind"], e["hid"])] for e in entries if (e["kind"], e["hid"]) in rows]
