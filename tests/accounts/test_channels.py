"""Delivery channels (accounts/channels.py): a channel named in NOTIFICATION_CHANNELS receives the notices a
real workflow step creates, inside its transaction; a failing channel leaves the step and the in-portal notice
standing; a bad setting is refused. The levels the declaration resolves against (the city, named people),
the 通知设置 page, and the docs page listing every declared event."""
import datetime
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse

from accounts.channels import Channel, channels
from accounts.models import Notification, Role
from accounts.notices import HANDOFFS, Place, handoff, recipients
from accounts.services import notify
from inspections.services.orders import order_issue
from ops.models import OutboxMessage, OutgoingEmail
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DEFAULT = ["accounts.channels.InPortalChannel", "accounts.channels.EmailDigestChannel"]


class FakeChannel(Channel):
    """Keeps what it was handed, as a city's SMS channel would hand it to its gateway."""

    name = "fake"
    label = "测试通道"
    received: list = []

    def deliver(self, notifications):
        FakeChannel.received.append([(n.pk, n.user.username, n.key, n.url) for n in notifications])


class OutboxChannel(Channel):
    """Records its work in the outbox, in the transaction of the step (what the docs tell a channel to do)."""

    name = "outbox"
    label = "发件箱通道"

    def deliver(self, notifications):
        from ops.services import outbox_enqueue

        outbox_enqueue(task="ops.relay_outbox")


class BrokenChannel(Channel):
    name = "broken"
    label = "坏通道"

    def deliver(self, notifications):
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(title="被坏通道改掉")
        raise RuntimeError("the gateway is down")


HERE = "tests.accounts.test_channels"


@pytest.fixture(autouse=True)
def _fresh():
    FakeChannel.received = []


def issue(world, problem="楼道堆放杂物"):
    return order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem=problem,
                       deadline=datetime.date(2026, 3, 9), now=NOW)


def test_a_channel_in_the_setting_receives_the_notices_of_a_real_step_once(world):
    with override_settings(NOTIFICATION_CHANNELS=DEFAULT + [f"{HERE}.FakeChannel"]):
        order = issue(world)
        [batch] = FakeChannel.received
        notice = Notification.objects.get(user=world.users["firm_user"])
        assert batch == [(notice.pk, "firm_user", f"order.issued:{order.pk}",
                          reverse("inspections:order_detail", args=[order.pk]))]
        # The same notice again (a job's second run): nothing new is stored, nothing new delivered.
        assert notify(users=[world.users["firm_user"]], key=notice.key, title=notice.title) == 0
        assert len(FakeChannel.received) == 1
    # Not in the setting: not called.
    issue(world, problem="路灯损坏")
    assert len(FakeChannel.received) == 1


def test_a_channel_records_its_work_in_the_steps_transaction_and_rolls_back_with_it(world):
    with override_settings(NOTIFICATION_CHANNELS=DEFAULT + [f"{HERE}.OutboxChannel"]):
        with pytest.raises(IntegrityError), transaction.atomic():
            issue(world)
            assert OutboxMessage.objects.count() == 1
            raise IntegrityError("the step failed after telling")
        assert not Notification.objects.exists() and not OutboxMessage.objects.exists()
        issue(world)
        assert OutboxMessage.objects.count() == 1


def test_a_failing_channel_is_logged_and_the_step_and_its_notice_stand(world, caplog):
    with override_settings(NOTIFICATION_CHANNELS=DEFAULT + [f"{HERE}.BrokenChannel", f"{HERE}.FakeChannel"]):
        order = issue(world)
    notice = Notification.objects.get(user=world.users["firm_user"])
    assert notice.title == f"新的整改通知 {order.number}"  # the broken channel's change was rolled back
    assert len(FakeChannel.received) == 1  # the channel after it still ran
    assert "notification channel 'broken' failed" in caplog.text


@pytest.mark.parametrize("paths, message", [
    (["accounts.channels.NoSuchChannel"], "cannot import"),
    (["accounts.models.User"], "not a Channel subclass"),
])
def test_a_bad_setting_is_refused_naming_the_path(world, paths, message):
    with override_settings(NOTIFICATION_CHANNELS=paths):
        with pytest.raises(ImproperlyConfigured, match=message):
            channels()


def test_the_in_portal_channel_is_always_on_and_the_default_ships_the_digest(world):
    assert [c.name for c in channels()] == ["portal", "email_digest"]
    assert django_settings.NOTIFICATION_CHANNELS == DEFAULT
    with override_settings(NOTIFICATION_CHANNELS=[]):
        assert [c.name for c in channels()] == ["portal"]
        issue(world)
    assert Notification.objects.filter(user=world.users["firm_user"]).count() == 1


def test_notify_by_email_is_the_immediate_email_channel_and_stamps_what_it_mailed(world, settings):
    settings.NOTIFY_BY_EMAIL = True
    world.users["firm_user"].email = "firm_user@example.gov.cn"
    world.users["firm_user"].save(update_fields=["email"])
    second = user_with_role("firm_user_b", Role.FIRM_USER, firm=world.firm1)  # no address
    assert [c.name for c in channels()] == ["portal", "email_digest", "email"]
    order = issue(world)
    email = OutgoingEmail.objects.get()
    assert email.recipients == ["firm_user@example.gov.cn"] and email.source == f"notification:order.issued:{order.pk}"
    mailed = Notification.objects.get(user=world.users["firm_user"])
    assert mailed.emailed_at == mailed.created_at
    assert Notification.objects.get(user=second).emailed_at is None  # nothing was mailed to them


# --- the levels -----------------------------------------------------------------------------------------------

def test_the_city_level_is_told_only_of_what_the_city_keeps_and_counts_superusers(world):
    root = UserFactory(username="root_admin", is_superuser=True, is_staff=True)
    city_place = Place.of(city=True)
    assert {u.username for u in recipients("city", city_place)} == {"city_admin", "root_admin"}
    assert list(recipients("city", Place.of(districts=[world.shanting.pk]))) == []
    root.is_active = False
    root.save(update_fields=["is_active"])
    assert {u.username for u in recipients("city", city_place)} == {"city_admin"}


def test_the_uploader_level_names_its_people_and_never_an_inactive_one(world):
    gone = user_with_role("street_staff_gone", Role.STREET_STAFF, street=world.shancheng)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    place = Place.of(users=[world.users["street_staff"].pk, gone.pk])
    assert [u.username for u in recipients("uploader", place)] == ["street_staff"]
    assert handoff("complaint_import.done", place=place, key="1", title="工单导入完成", url="/") == 1
    assert handoff("complaint_import.done", place=place, key="1", title="工单导入完成", url="/") == 0


def test_an_undeclared_event_is_a_programming_error(world):
    with pytest.raises(KeyError):
        handoff("order.lost", place=Place.of(firms=[world.firm1.pk]), key="1", title="?")


# --- the docs -------------------------------------------------------------------------------------------------

def test_every_declared_event_is_listed_in_the_docs():
    text = (Path(django_settings.BASE_DIR) / "docs" / "notifications.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| ([a-z_]+(?:\.[a-z_]+)+) \|", text, re.M)
    assert sorted(listed) == sorted(HANDOFFS)


# --- 通知设置 ----------------------------------------------------------------------------------------------------

def test_the_settings_page_turns_the_digest_on_and_off(login, world):
    user = world.users["firm_user"]
    user.email = "firm_user@example.gov.cn"
    user.save(update_fields=["email"])
    client = login("firm_user")
    page = client.get(reverse("accounts:notification_settings"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "firm_user@example.gov.cn" in html and 'data-channel="portal"' in html and "每日邮件摘要" in html
    response = client.post(reverse("accounts:notification_settings"), {"email_digest": "on"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_digest is True
    assert user.history.first().history_change_reason == "开启每日邮件摘要"
    client.post(reverse("accounts:notification_settings"), {})
    user.refresh_from_db()
    assert user.email_digest is False


def test_without_an_address_the_digest_is_refused_in_chinese_and_nothing_changes(login, world):
    client = login("street_staff")
    response = client.post(reverse("accounts:notification_settings"), {"email_digest": "on"})
    assert response.status_code == 200
    assert "没有登记电子邮箱" in " ".join(response.context["form"].errors["email_digest"])
    world.users["street_staff"].refresh_from_db()
    assert world.users["street_staff"].email_digest is False


def test_the_settings_page_is_linked_from_the_user_menu_and_the_notifications_and_needs_a_login(login, client, world):
    url = reverse("accounts:notification_settings")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    signed_in = login("firm_user")
    assert f'href="{url}"' in signed_in.get(reverse("home")).content.decode()
    assert f'href="{url}"' in signed_in.get(reverse("accounts:notifications")).content.decode()


def test_without_the_digest_channel_the_page_says_so_and_refuses_to_store_it(login, world):
    world.users["firm_user"].email = "firm_user@example.gov.cn"
    world.users["firm_user"].save(update_fields=["email"])
    with override_settings(NOTIFICATION_CHANNELS=["accounts.channels.InPortalChannel"]):
        client = login("firm_user")
        assert "本平台未启用每日邮件摘要" in client.get(reverse("accounts:notification_settings")).content.decode()
        response = client.post(reverse("accounts:notification_settings"), {"email_digest": "on"})
        assert response.status_code == 200
    world.users["firm_user"].refresh_from_db()
    assert world.users["firm_user"].email_digest is False
