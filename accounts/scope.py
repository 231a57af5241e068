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

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q

from .models import Role

LEVELS = ("district", "street", "community", "firm")

# Roles that may change data at their level (viewing is granted by any role).
EDIT_ROLES = {
    "district": {Role.DISTRICT_ADMIN},
    "street": {Role.STREET_STAFF},
    "community": {Role.COMMUNITY_CLERK},
    "firm": {Role.FIRM_USER},
}


@dataclass(frozen=True)
class Scope:
    city: bool = False
    city_admin: bool = False
    roles: frozenset = field(default_factory=frozenset)
    view: dict = field(default_factory=dict)  # level -> frozenset of ids
    edit: dict = field(default_factory=dict)  # level -> frozenset of ids
    labels: tuple = ()  # "街道工作人员 · 山城街道", for the header
    by_role: dict = field(default_factory=dict)  # role -> frozenset of target ids

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
            if ids:
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
                   "firm": "district__streets__communities__estates__firm"}
    scope_edit_levels = ("district",)
    scope_multi_valued = True
