"""Writes of the accounts app: notifications, passwords and user management."""
from __future__ import annotations

import datetime
from typing import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .models import ROLE_TARGET, Notification, Role, RoleAssignment, User
from .scope import scope_of


def notify(*, users: Iterable[User], key: str, title: str, body: str = "", url: str = "") -> int:
    """Send a notification once per (user, key); returns how many were new.

    Idempotent: the unique (user, key) constraint makes a second call a no-op, so a job that runs twice
    never notifies twice. The Notification row is the in-portal message (the bell, the list) and the record
    every other channel works from: the new rows are handed, in the same transaction, to the delivery
    channels of NOTIFICATION_CHANNELS (accounts/channels.py), e.g. the e-mail at once of NOTIFY_BY_EMAIL,
    which records its mail in the outbox (ops), so the page never waits on the mail server or the broker
    and an outage of either loses nothing. Workflows call `accounts.notices.handoff`, which says who.
    """
    from .channels import deliver

    users = [u for u in users if u.is_active]
    existing = set(
        Notification.objects.filter(user__in=users, key=key).values_list("user_id", flat=True)
    )
    fresh = [Notification(user=u, key=key, title=title, body=body, url=url) for u in users if u.pk not in existing]
    with transaction.atomic():
        Notification.objects.bulk_create(fresh, ignore_conflicts=True)
        if fresh:
            deliver(fresh)
    return len(fresh)


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def user_set_password(*, user: User, password: str, must_change: bool, reason: str = "") -> User:
    """Set a user's password. `must_change`: someone else chose it (an admin creating the account or
    resetting it), so the user is sent to the change page until they choose their own
    (accounts.middleware.ForcePasswordChangeMiddleware); a password the user chose clears the flag.

    The history row names the user themselves when they chose it (also on the e-mail reset page, where no
    one is logged in), else whoever the caller set on `user._history_user`."""
    user.set_password(password)
    user.must_change_password = must_change
    if not must_change:
        user._history_user = user
    user._change_reason = reason or (_("本人修改密码") if not must_change else _("重设密码"))
    user.save(update_fields=["password", "must_change_password"])
    return user


def user_require_password_change(*, user: User, actor: User | None = None) -> User:
    """Someone else set this user's password (e.g. through the Django admin): they must choose their own."""
    user.must_change_password = True
    if actor is not None:
        user._history_user = actor
    user._change_reason = _("管理员设置密码，要求下次登录修改")
    user.save(update_fields=["must_change_password"])
    return user


# --- user management ------------------------------------------------------------------------------------
# Who may manage whom, declared once: a city administrator every account and role; a district
# administrator the accounts of their own district's staff, its streets' and communities' clerks and the
# firms filed with it or serving its estates, with these roles only (never another administrator, nothing
# outside the district). The pages, their buttons and these services all ask `role_grantable` /
# `user_manageable`.

DISTRICT_GRANTABLE = (Role.DISTRICT_STAFF, Role.STREET_STAFF, Role.COMMUNITY_CLERK, Role.FIRM_USER)


def _admin_districts(actor: User) -> frozenset:
    """The districts whose accounts `actor` manages (accounts/capabilities.py "users.manage")."""
    from .capabilities import units

    return units(actor, "users.manage", "district")


def grantable_roles(actor: User) -> tuple:
    """The roles this user may give to others (empty: no user management for them)."""
    if scope_of(actor).city_admin:
        return tuple(Role)
    return DISTRICT_GRANTABLE if _admin_districts(actor) else ()


def grantable_targets(actor: User, level: str):
    """The districts/streets/communities/firms this user may name in a role they grant."""
    from django.apps import apps

    model = {"district": apps.get_model("communities", "District"), "street": apps.get_model("communities", "Street"),
             "community": apps.get_model("communities", "Community"), "firm": apps.get_model("enterprises", "Firm")}[level]
    if scope_of(actor).city_admin:
        return model.objects.all()
    districts = _admin_districts(actor)
    if level == "district":
        return model.objects.filter(pk__in=districts)
    if level == "street":
        return model.objects.filter(district__in=districts)
    if level == "community":
        return model.objects.filter(street__district__in=districts)
    served = model.objects.filter(estates__community__street__district__in=districts).values("pk")
    return model.objects.filter(Q(registered_district__in=districts) | Q(pk__in=served))


def grantable_ids(actor: User) -> dict | None:
    """level -> ids of the units `actor` may name in a role (None: anywhere, the city). One query per level;
    a page checking many accounts computes it once and passes it on."""
    if scope_of(actor).city_admin:
        return None
    return {level: frozenset(grantable_targets(actor, level).values_list("pk", flat=True))
            for level in ("district", "street", "community", "firm")}


def role_grantable(*, actor: User, role: str, target=None, ids: dict | None | bool = False) -> bool:
    """May `actor` give `role` on `target` (a District, Street, Community or Firm; None for the city)?"""
    if role not in grantable_roles(actor):
        return False
    level = ROLE_TARGET.get(role)
    if level is None:
        return scope_of(actor).city_admin and target is None
    if target is None or target._meta.model_name != level:
        return False
    if ids is False:
        ids = grantable_ids(actor)
    return ids is None or target.pk in ids[level]


def users_managed_by(actor: User):
    """The accounts listed on the user page: everyone for the city; for a district administrator every
    account holding a role inside their district (some of which they may only look at)."""
    if scope_of(actor).city_admin:
        return User.objects.all()
    if not _admin_districts(actor):
        return User.objects.none()
    q = Q()
    for level in ("district", "street", "community", "firm"):
        q |= Q(**{f"roles__{level}__in": grantable_targets(actor, level).values("pk")})
    return User.objects.filter(pk__in=User.objects.filter(q).values("pk"))


def user_manageable(*, actor: User, user: User, ids: dict | None | bool = False) -> bool:
    """May `actor` deactivate `user` or reset their password? The city: anyone but themselves. A district
    administrator: an account none of whose roles lies outside what they could grant (so never another
    administrator, a Django admin user, or a clerk who also works for another district). Reads
    `user.roles.all()`, so a list prefetches them (with their units) and passes `ids=grantable_ids(actor)`."""
    if user.pk == actor.pk:
        return False
    if scope_of(actor).city_admin:
        return True
    if user.is_superuser or user.is_staff:
        return False
    roles = list(user.roles.all())
    if not roles:
        return False
    if ids is False:
        ids = grantable_ids(actor)
    return all(role_grantable(actor=actor, role=ra.role, ids=ids,
                              target=ra.district or ra.street or ra.community or ra.firm) for ra in roles)


def _refuse_unless_manageable(actor: User, user: User) -> None:
    if user.pk == actor.pk:
        raise ValidationError(_("不能停用或重设自己的账号，也不能修改自己的角色；修改自己的密码请用“修改密码”。"))
    if not user_manageable(actor=actor, user=user):
        raise ValidationError(_("这个账号不在您的管理范围内。"))


def _by(actor: User, obj, reason: str):
    """Stamp the history row the next save or delete of `obj` writes: who, and why."""
    obj._history_user = actor
    obj._change_reason = reason
    return obj


ROLE_REFUSED = _lazy("您无权在这个范围授予这个角色：区级管理员只能为本区的区级工作人员、街道、社区工作人员和本区物业企业"
                     "开设账号或添加角色。")


@transaction.atomic
def user_create(*, actor: User, username: str, password: str, role: str, target=None, full_name: str = "",
                phone: str = "", email: str = "") -> User:
    """Create an account with exactly one role inside the actor's scope. The actor chose the password, so
    the new user must change it on first login."""
    if not role_grantable(actor=actor, role=role, target=target):
        raise ValidationError({"role": str(ROLE_REFUSED)})
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("这个用户名已被使用，请换一个。")})
    user = User(username=username, full_name=full_name, phone=phone, email=email.strip().lower())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from exc
    user.set_password(password)
    user.must_change_password = True
    _by(actor, user, _("开设账号")).save()
    level = ROLE_TARGET.get(role)
    _by(actor, RoleAssignment(user=user, role=role, **({level: target} if level else {})), _("开设账号")).save()
    return user


@transaction.atomic
def user_deactivate(*, actor: User, user: User, now) -> User:
    """Stop an account from logging in; its API tokens are revoked at `now` with it, so re-enabling the account
    later never brings an integration's old credential back to life (a new token must be issued)."""
    from .models import ApiToken

    user = User.objects.select_for_update().get(pk=user.pk)
    _refuse_unless_manageable(actor, user)
    if not user.is_active:
        raise ValidationError(_("这个账号已经停用。"))
    user.is_active = False
    _by(actor, user, _("停用账号")).save(update_fields=["is_active"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now, revoked_by=actor)
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> User:
    """Let a deactivated account log in again, with the roles it kept."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _refuse_unless_manageable(actor, user)
    if user.is_active:
        raise ValidationError(_("这个账号没有停用，无需启用。"))
    user.is_active = True
    _by(actor, user, _("重新启用账号")).save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_reset_password(*, actor: User, user: User, password: str) -> User:
    """Set another user's password; they must change it on their next login."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _refuse_unless_manageable(actor, user)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from exc
    return user_set_password(user=_by(actor, user, ""), password=password, must_change=True,
                             reason=_("管理员重设密码"))


@transaction.atomic
def user_role_add(*, actor: User, user: User, role: str, target=None, now) -> RoleAssignment:
    """Give an existing account one more role, inside the actor's scope and below their level (the same
    `role_grantable` as opening an account). Only an account the actor manages entirely (`user_manageable`)
    may be changed: one holding a role beyond their scope stays view-only for them. An account with a usable
    API token keeps its one role (the token would silently see more)."""
    from .models import ApiToken

    user = User.objects.select_for_update().get(pk=user.pk)
    _refuse_unless_manageable(actor, user)
    if not role_grantable(actor=actor, role=role, target=target):
        raise ValidationError({"role": str(ROLE_REFUSED)})
    level = ROLE_TARGET.get(role)
    unit = {level: target} if level else {}
    if RoleAssignment.objects.filter(user=user, role=role, **unit).exists():
        raise ValidationError({"role": _("这个账号已有这个角色。")})
    if ApiToken.objects.usable(now=now).filter(user=user).exists():
        raise ValidationError({"role": _("这个账号有有效的接口令牌，令牌账号只能有一个角色；请先吊销令牌，"
                                         "或为该人员另开账号。")})
    assignment = RoleAssignment(user=user, role=role, **unit)
    _by(actor, assignment, _("添加角色")).save()
    return assignment


@transaction.atomic
def user_role_remove(*, actor: User, assignment: RoleAssignment) -> User:
    """Take one role from an account the actor manages entirely. The last role is never removed: an account
    without a role sees nothing and drops out of every district's user list, so the refusal says to
    deactivate the account instead (停用账号 keeps its roles for a later 启用)."""
    user = User.objects.select_for_update().get(pk=assignment.user_id)
    _refuse_unless_manageable(actor, user)
    roles = list(RoleAssignment.objects.select_for_update().filter(user=user).order_by("pk"))
    assignment = next((ra for ra in roles if ra.pk == assignment.pk), None)
    if assignment is None:
        raise ValidationError(_("这个角色已经撤销。"))
    if len(roles) == 1:
        raise ValidationError(_("不能撤销账号的最后一个角色：没有角色的账号什么也看不到。"
                                "如该人员不再使用平台，请停用账号。"))
    _by(actor, assignment, _("撤销角色")).delete()
    return user


# --- API tokens for machine clients ------------------------------------------------------------------------
# Who may issue a token for an account is who may manage that account (`user_manageable`): a city
# administrator any account, a district administrator accounts inside their district only. The account is
# the integration's own, with exactly one role, so its scope is plain to see on the token page.

def api_token_accounts(actor: User):
    """The accounts `actor` may issue a token for: active, managed by them, with exactly one role."""
    from django.db.models import Count

    return (users_managed_by(actor).filter(is_active=True, is_superuser=False, is_staff=False)
            .exclude(pk=actor.pk).annotate(role_count=Count("roles")).filter(role_count=1))


@transaction.atomic
def api_token_issue(*, actor: User, user: User, name: str, expires_at, now) -> tuple:
    """Issue a token acting as `user`; returns (token, key). The key ("<prefix>.<secret>") exists only in
    this return value: the row keeps the prefix and the secret's SHA-256."""
    from .models import ApiToken
    from .tokens import API_TOKEN_MAX_DAYS, new_key, secret_hash

    user = User.objects.select_for_update().get(pk=user.pk)
    if not user_manageable(actor=actor, user=user):
        raise ValidationError({"user": _("这个账号不在您的管理范围内。")})
    if not user.is_active:
        raise ValidationError({"user": _("这个账号已停用。")})
    if user.is_superuser or user.is_staff:
        raise ValidationError({"user": _("不能为后台管理账号签发令牌。")})
    if user.roles.count() != 1:
        raise ValidationError({"user": _("令牌须代表只有一个角色的专用账号，请先为接入系统开设账号。")})
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写接入系统名称。")})
    if expires_at <= now:
        raise ValidationError({"expires_at": _("到期时间须晚于现在。")})
    if expires_at > now + datetime.timedelta(days=API_TOKEN_MAX_DAYS):
        raise ValidationError({"expires_at": _("有效期最长 %(days)s 天。") % {"days": API_TOKEN_MAX_DAYS}})
    prefix, secret = new_key()
    token = ApiToken.objects.create(name=name, user=user, prefix=prefix, key_hash=secret_hash(secret),
                                    created_at=now, created_by=actor, expires_at=expires_at)
    return token, f"{prefix}.{secret}"


def api_tokens_visible_to(actor: User):
    """The tokens listed on the token page: those of the accounts the actor manages or looks at."""
    from .models import ApiToken

    return ApiToken.objects.filter(user__in=users_managed_by(actor).values("pk"))


@transaction.atomic
def api_token_revoke(*, actor: User, token, now):
    """Revoke a token at once; a revoked token is never valid again (issue a new one instead)."""
    from .models import ApiToken

    token = ApiToken.objects.select_for_update(of=("self",)).select_related("user").get(pk=token.pk)
    if not (scope_of(actor).city_admin or user_manageable(actor=actor, user=token.user)):
        raise ValidationError(_("这个令牌不在您的管理范围内。"))
    if token.revoked_at is not None:
        raise ValidationError(_("这个令牌已经吊销。"))
    token.revoked_at = now
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    return token
