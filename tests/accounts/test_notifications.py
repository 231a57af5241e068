"""In-app notifications: sent once per key, unread count in the header, only one's own."""
import pytest

from accounts.models import Notification
from accounts.services import notify

pytestmark = pytest.mark.django_db


def test_notify_twice_with_the_same_key_sends_once(world):
    users = [world.users["firm_user"], world.users["street_staff"]]
    assert notify(users=users, key="k1", title="整改通知逾期") == 2
    assert notify(users=users, key="k1", title="整改通知逾期") == 0
    assert Notification.objects.count() == 2


def test_header_shows_unread_count_and_page_lists_only_own(login, world):
    notify(users=[world.users["firm_user"]], key="a", title="第一条", url="/orders/1/")
    notify(users=[world.users["firm_user"]], key="b", title="第二条")
    notify(users=[world.users["firm_user2"]], key="c", title="别人的通知")
    client = login("firm_user")
    home = client.get("/").content.decode()
    assert 'data-testid="unread-count">2<' in home
    page = client.get("/accounts/notifications/").content.decode()
    assert "第一条" in page and "第二条" in page and "别人的通知" not in page


def test_mark_read_clears_the_count_and_cannot_touch_others(login, world):
    notify(users=[world.users["firm_user"]], key="a", title="第一条")
    notify(users=[world.users["firm_user2"]], key="a", title="别人的")
    theirs = Notification.objects.get(user=world.users["firm_user2"])
    client = login("firm_user")
    client.post("/accounts/notifications/", {"id": [str(theirs.pk)]})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post("/accounts/notifications/")
    assert not Notification.objects.filter(user=world.users["firm_user"], read_at__isnull=True).exists()
    assert 'data-testid="unread-count"' not in client.get("/").content.decode()


def test_anonymous_cannot_open_notifications(client, world):
    assert client.get("/accounts/notifications/").status_code == 302
