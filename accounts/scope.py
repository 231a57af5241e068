"""The one scoping mechanism.

A user's RoleAssignments say where they act. `scope_of(user)` turns them into
sets of ids once per request; `ScopedQuerySet.visible_to(user)` and
`.editable_by(user)` turn those into a filter, using the path each scoped
model declares from itself to a district, street, community and firm.

Every list, detail, export, form choice list and API viewset goes through
these two methods (see accounts/views.py for the base views). Outside one's
scope an object does not exist (404).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models
from django.db.models import Q

from .capabilities import roles_at
from .models import Role

LEVELS = ("district", "street", "community", "firm")

# Roles that may change data at their level (viewing is granted by any role): the capability "records.edit"
# of accounts/capabilities.py (district staff only look at the district's data).
EDIT_ROLES = {level: set(roles_at("records.edit", level)) for level in LEVELS}


@dataclass(frozen=True)
class Scope:
    city: bool = False
    city_admin: bool = False
    roles: frozenset = field(default_factory=frozenset)
    view: dict = field(default_factory=dict)  # level -> frozenset of ids
    edit: dict = field(default_factory=dict)  # level -> frozenset of ids
    labels: tuple = ()  # "街道工作人员 · 山城街道", for the header
    by_role: dict = field(default_factory=dict)  # role -> frozenset of target ids

    @property
    def served(self) -> tuple:
        """(estate id, first day, last day or None) each of the user's firms served, from the service
        contracts; read by `Served` paths. Loaded on first use (one query), only for firm users."""
        cached = self.__dict__.get("_served")
        if cached is None:
            cached = _served_spans(self.view.get("firm"))
            object.__setattr__(self, "_served", cached)
        return cached

    def holds(self, role: str, target_id: int) -> bool:
        """Does the user hold `role` for this district/street/community/firm id?"""
        return target_id in self.by_role.get(role, ())

    def has_role(self, *roles) -> bool:
        return bool(self.roles.intersection(roles))

    def ids(self, level: str, *, edit: bool = False) -> frozenset:
        return (self.edit if edit else self.view).get(level, frozenset())

    @property
    def is_empty(self) -> bool:
        return not self.city and not any(self.view.values())


EMPTY_SCOPE = Scope()


def scope_of(user) -> Scope:
    """The user's scope, computed once and cached on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_portal_scope", None)
    if cached is not None:
        return cached
    roles = set()
    view = {level: set() for level in LEVELS}
    edit = {level: set() for level in LEVELS}
    city = city_admin = bool(user.is_superuser)
    labels = []
    by_role: dict[str, set] = {}
    for ra in user.roles.select_related("district", "street", "community", "firm"):
        roles.add(ra.role)
        labels.append(str(ra))
        target = ra.district_id or ra.street_id or ra.community_id or ra.firm_id
        if target is not None:
            by_role.setdefault(ra.role, set()).add(target)
        if ra.role == Role.CITY_ADMIN:
            city = city_admin = True
            continue
        for level in LEVELS:
            target = getattr(ra, f"{level}_id")
            if target is not None:
                view[level].add(target)
                if ra.role in EDIT_ROLES[level]:
                    edit[level].add(target)
    scope = Scope(
        city=city,
        city_admin=city_admin,
        roles=frozenset(roles),
        view={k: frozenset(v) for k, v in view.items()},
        edit={k: frozenset(v) for k, v in edit.items()},
        labels=tuple(labels),
        by_role={k: frozenset(v) for k, v in by_role.items()},
    )
    user._portal_scope = scope
    return scope


def _served_spans(firm_ids) -> tuple:
    if not firm_ids:
        return ()
    contract = apps.get_model("enterprises", "ServiceContract")
    return tuple(contract.objects.filter(firm_id__in=firm_ids).order_by("estate_id", "start_date")
                 .values_list("estate_id", "start_date", "ended_on"))


def _quarter(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


@dataclass(frozen=True)
class Served:
    """A firm-level scope path that follows the days a firm served an estate (DOMAIN.md §5).

    A firm sees a row when one of its service contracts covered the row's date
    (`date`), or at least one day of the row's quarter (`year` + `quarter`),
    on the row's estate (`estate`): it keeps what it did after it leaves and
    sees nothing from before its contract began. A contract covers its start
    date to its exit date, both included (enterprises/selectors.py).
    """

    estate: str
    date: str | None = None
    year: str | None = None
    quarter: str | None = None

    def q(self, spans) -> Q:
        q = Q(pk__in=[])
        for estate_id, start, end in spans:
            cond = Q(**{self.estate: estate_id})
            if self.date:
                cond &= Q(**{f"{self.date}__gte": start})
                if end is not None:
                    cond &= Q(**{f"{self.date}__lte": end})
            else:
                y, qu = _quarter(start)
                cond &= Q(**{f"{self.year}__gt": y}) | Q(**{self.year: y, f"{self.quarter}__gte": qu})
                if end is not None:
                    y, qu = _quarter(end)
                    cond &= Q(**{f"{self.year}__lt": y}) | Q(**{self.year: y, f"{self.quarter}__lte": qu})
            q |= cond
        return q


class ScopedQuerySet(models.QuerySet):
    """Subclass and set `scope_paths`: level -> lookup path from this model.

    A level missing from `scope_paths` sees nothing of the model at that level.
    `scope_multi_valued = True` when a path crosses a to-many relation, so the
    filter is applied as a pk subquery and never duplicates rows.
    """

    scope_paths: dict[str, str] = {}
    # Levels whose editors may change this model (others only see it).
    scope_edit_levels: tuple[str, ...] = ("district", "street")
    scope_multi_valued = False

    def _scope_q(self, scope: Scope, *, edit: bool, levels: tuple[str, ...] | None = None) -> Q:
        q = Q(pk__in=[])
        levels = self.scope_edit_levels if levels is None else levels
        for level, path in self.scope_paths.items():
            if edit and level not in levels:
                continue
            ids = scope.ids(level, edit=edit)
            if not ids:
                continue
            if isinstance(path, Served):
                q |= path.q(scope.served)
            else:
                q |= Q(**{f"{path}__in": ids})
        return q

    def _apply_scope(self, user, *, edit: bool, levels: tuple[str, ...] | None = None):
        scope = scope_of(user)
        if scope.city_admin or (scope.city and not edit):
            return self
        q = self._scope_q(scope, edit=edit, levels=levels)
        if self.scope_multi_valued:
            return self.filter(pk__in=self.model._default_manager.filter(q).values("pk"))
        return self.filter(q)

    def visible_to(self, user):
        """What `user` may see: 404 for everything else."""
        return self._apply_scope(user, edit=False)

    def editable_by(self, user, levels: tuple[str, ...] | None = None):
        """What `user` may change (a subset of what they see).

        `levels` overrides the model's scope_edit_levels for one action, e.g.
        "inspect an estate" is a street or community action on Estate.
        """
        return self._apply_scope(user, edit=True, levels=levels)


class DistrictRecordQuerySet(ScopedQuerySet):
    """Rows that belong to a whole district (policies, rubrics, rating periods, payout batches).

    Everyone acting inside the district may read them (a firm through the
    estates it serves there); only the district's administrators change them.
    The model needs a `district` foreign key.
    """

    scope_paths = {"district": "district", "street": "district__streets",
                   "community": "district__streets__communities",
                   # every district where the firm serves or served an estate
                   "firm": "district__streets__communities__estates__contracts__firm"}
    scope_edit_levels = ("district",)
    scope_multi_valued = True
