from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class UserHistoricalRecords(HistoricalRecords):
    """History of an account, without the password hash and the last login.

    A save that writes only untracked fields (Django's login stamping `last_login`, a password hash upgraded
    on login) leaves no row: the audit page lists changes, not logins.
    """

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)


class User(AbstractUser):
    """A portal user. What they may see comes from their RoleAssignments."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # Set when someone else chose the password (an admin created the account or reset it); the user is
    # sent to the password change page until they choose their own (accounts.middleware).
    # db_default too: rows written without Django (raw inserts, an older schema's code during a migration)
    # get False from the database.
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False, db_default=False)
    # Opt-in: unread notifications are e-mailed once a day (accounts.tasks.send_digests).
    email_digest = models.BooleanField(_("每日邮件摘要"), default=False, db_default=False)

    # Every change (who, when, why: accounts.services set `_history_user` and `_change_reason`), shown on
    # the audit page (accounts/audit.py). The password hash and the last login are not kept.
    history = UserHistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self):
        return self.full_name or self.username


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("市级管理员")
    DISTRICT_ADMIN = "district_admin", _("区级管理员")
    DISTRICT_STAFF = "district_staff", _("区级工作人员")
    STREET_STAFF = "street_staff", _("街道工作人员")
    COMMUNITY_CLERK = "community_clerk", _("社区工作人员")
    FIRM_USER = "firm_user", _("物业企业用户")


# Which target each role must (and alone may) name.
ROLE_TARGET = {
    Role.CITY_ADMIN: None,
    Role.DISTRICT_ADMIN: "district",
    Role.DISTRICT_STAFF: "district",
    Role.STREET_STAFF: "street",
    Role.COMMUNITY_CLERK: "community",
    Role.FIRM_USER: "firm",
}
TARGET_FIELDS = ("district", "street", "community", "firm")


def _role_target_check():
    """One CheckConstraint: each role names exactly its own kind of target."""
    clauses = Q(pk__in=[])
    for role, target in ROLE_TARGET.items():
        clause = Q(role=role)
        for field in TARGET_FIELDS:
            clause &= Q(**{f"{field}__isnull": field != target})
        clauses |= clause
    return clauses


class RoleAssignment(models.Model):
    """A role a user holds, and where: a district, a street, a community or a firm.

    A user may hold several; their scope is the union.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles", verbose_name=_("用户"))
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    district = models.ForeignKey(
        "communities.District", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("区")
    )
    street = models.ForeignKey(
        "communities.Street", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("街道")
    )
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("社区")
    )
    firm = models.ForeignKey(
        "enterprises.Firm", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("物业企业")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # A role is added or removed, never edited: its history holds "+" and "-" rows (accounts/audit.py).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        constraints = [
            models.CheckConstraint(condition=_role_target_check(), name="role_names_its_target"),
        ]

    def __str__(self):
        target = self.district or self.street or self.community or self.firm
        return f"{self.get_role_display()} · {target}" if target else self.get_role_display()


class Notification(models.Model):
    """An in-app message; `key` makes sending idempotent (a job run twice notifies once)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=120)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # Set when the daily e-mail digest included this notice, so it is mailed at most once.
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_key")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.title


class TransitionEvent(models.Model):
    """Base of a state machine's event rows (who, when, from, to, comment).

    Subclasses add the foreign key to their record and `from_status` /
    `to_status` with their own choices (ARCHITECTURE.md: state changes are explicit).
    """

    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, *, now):
        """Tokens that authenticate at `now`: not revoked, not expired, their account active."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(models.Model):
    """A machine client's credential (an integration such as the 12345 hotline platform of one district).

    It acts as `user`, a dedicated account with exactly one role, so the API applies that account's scope
    like any other. The secret is shown once when the token is issued; only `prefix` (to find the row) and
    the SHA-256 of the secret are stored. Issued and revoked by accounts.services.api_token_issue/_revoke.
    """

    name = models.CharField(_("接入系统名称"), max_length=100)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("代表账号"))
    prefix = models.CharField(_("令牌前缀"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("签发时间"))
    created_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("签发人"))
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("吊销人"))

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    def status(self, *, now) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"
