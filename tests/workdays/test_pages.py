"""工作日历 pages: the banner, the bulk form, and who may do what."""
import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.conftest import PERSONAS
from workdays import services
from workdays.models import CalendarDay, CalendarFallback, CalendarYear

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SH)
WARNING = "2027 年法定节假日及调休安排尚未录入"

SCHEDULE_2027 = """2027-01-01 放假 元旦
2027-02-06 放假 春节
2027-02-07 上班 春节调休
"""


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def year_url(year=2027):
    return reverse("workdays:year_detail", kwargs={"year": year})


# --- the banner -------------------------------------------------------------------------------------

def test_banner_shows_for_a_city_admin_and_not_for_a_street_clerk(login):
    page = login("city_admin").get(reverse("home"))
    assert page.status_code == 200
    text = page.content.decode()
    assert WARNING in text and "data-testid=\"calendar-warning\"" in text
    assert year_url() in text
    page = login("street_staff").get(reverse("home"))
    assert WARNING not in page.content.decode()


def test_banner_disappears_after_2027_is_entered(login, world):
    client = login("city_admin")
    response = client.post(reverse("workdays:bulk_enter", kwargs={"year": 2027}), {"text": SCHEDULE_2027})
    assert response.status_code == 302
    assert WARNING not in client.get(reverse("home")).content.decode()


def test_banner_names_a_fallback_year_that_is_still_missing(login):
    CalendarFallback.objects.create(year=2029)
    text = login("city_admin").get(reverse("home")).content.decode()
    assert "2027、2029 年法定节假日及调休安排尚未录入" in text


@pytest.mark.parametrize("when, shown", [
    (datetime.datetime(2026, 11, 30, 9, 0, tzinfo=SH), False),  # +31 days = 2026-12-31
    (datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SH), True),    # +31 days = 2027-01-01
])
def test_banner_starts_31_days_before_the_missing_year(login, when, shown):
    with time_machine.travel(when, tick=False):
        text = login("city_admin").get(reverse("home")).content.decode()
    assert (WARNING in text) is shown


def test_banner_costs_one_query_per_request(rf, world, django_assert_num_queries):
    from django.template import Context, Template

    from accounts.scope import scope_of
    from workdays.context_processors import calendar_warning

    request = rf.get("/")
    request.user = world.users["city_admin"]
    scope_of(request.user)  # the scope is read once per request by every page anyway
    template = Template('{% include "workdays/_banner.html" %}{% include "workdays/_banner.html" %}')
    with django_assert_num_queries(1):
        out = template.render(Context(calendar_warning(request)))
        out += template.render(Context(calendar_warning(request)))  # a second render in the same request
    assert out.count(WARNING) == 4


def test_banner_costs_nothing_for_others(rf, world, django_assert_num_queries):
    from accounts.scope import scope_of
    from workdays.context_processors import calendar_warning

    request = rf.get("/")
    request.user = world.users["street_staff"]
    scope_of(request.user)
    with django_assert_num_queries(0):
        assert calendar_warning(request) == {}


# --- pages ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_every_logged_in_user_may_read_the_calendar(login, persona):
    client = login(persona)
    page = client.get(reverse("workdays:year_list"))
    assert page.status_code == 200
    assert "2026" in page.content.decode()
    page = client.get(year_url(2025))
    assert page.status_code == 200
    text = page.content.decode()
    assert "国庆节" in text and "2025-10-11" in text
    assert ("检查并录入" in text) is (persona == "city_admin")


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("workdays:year_list"))
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_year_list_counts_holidays_and_make_up_days(login, django_assert_max_num_queries):
    client = login("city_admin")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("workdays:year_list"))
    rows = page.content.decode()
    # 2025 as seeded: 28 holiday rows, 5 make-up days (01-26, 02-08, 04-27, 09-28, 10-11).
    assert CalendarYear.objects.get(year=2025).days.filter(kind="workday").count() == 5
    assert "程序内置" in rows


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "city_admin"])
def test_edits_are_404_for_everybody_but_the_city_admin(login, persona):
    client = login(persona)
    day = CalendarDay.objects.get(date=datetime.date(2025, 10, 1))
    posts = [
        (reverse("workdays:year_list"), {"year": 2027}),
        (reverse("workdays:year_enter", kwargs={"year": 2027}), {}),
        (reverse("workdays:day_add", kwargs={"year": 2025}), {"date": "2025-12-31", "kind": "holiday"}),
        (reverse("workdays:day_delete", kwargs={"year": 2025, "pk": day.pk}), {}),
        (reverse("workdays:bulk_enter", kwargs={"year": 2027}), {"text": SCHEDULE_2027}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert CalendarDay.objects.filter(pk=day.pk).exists()


def test_services_refuse_anybody_but_the_city_admin(world):
    clerk = world.users["street_staff"]
    with pytest.raises(PermissionDenied):
        services.calendar_year_enter(actor=clerk, year=2027, now=NOW)
    with pytest.raises(PermissionDenied):
        services.calendar_bulk_enter(actor=clerk, year=2027, text=SCHEDULE_2027, now=NOW)
    with pytest.raises(PermissionDenied):
        services.calendar_day_add(actor=clerk, year=2025, date=datetime.date(2025, 12, 31), kind="holiday")
    with pytest.raises(PermissionDenied):
        services.calendar_day_delete(actor=clerk, day_id=CalendarDay.objects.first().pk)


# --- bulk entry -------------------------------------------------------------------------------------

def test_bulk_entry_enters_the_year_with_its_days(login, world):
    client = login("city_admin")
    response = client.post(reverse("workdays:bulk_enter", kwargs={"year": 2027}), {"text": SCHEDULE_2027})
    assert response.status_code == 302 and response["Location"] == year_url()
    year = CalendarYear.objects.get(year=2027)
    assert year.source == "manual" and year.entered_by == world.users["city_admin"] and year.entered_at == NOW
    assert list(year.days.values_list("date", "kind", "name")) == [
        (datetime.date(2027, 1, 1), "holiday", "元旦"),
        (datetime.date(2027, 2, 6), "holiday", "春节"),
        (datetime.date(2027, 2, 7), "workday", "春节调休"),
    ]
    assert CalendarDay.history.filter(date=datetime.date(2027, 1, 1), history_type="+").exists()
    page = client.get(year_url())
    assert "已录入" in page.content.decode() and "春节调休" in page.content.decode()


def test_bulk_entry_is_all_or_nothing_and_names_every_bad_line(login):
    text = "\n".join([
        "2027-01-01 放假 元旦",          # 1 fine
        "# 春节",                        # 2 comment
        "2027-02-30 放假 春节",          # 3 no such date
        "2028-01-01 放假 元旦",          # 4 outside the year
        "2027-01-01 放假 元旦",          # 5 duplicate of line 1
        "2027-02-08 上班 春节调休",      # 6 a Monday cannot be a make-up working day
        "2027-02-09 请假",               # 7 unknown kind
        "二〇二七年 放假",               # 8 unreadable date
        "",
        "2027-02-07 上班 春节调休",      # 10 fine
    ])
    page = login("city_admin").post(reverse("workdays:bulk_enter", kwargs={"year": 2027}), {"text": text})
    assert page.status_code == 200
    html = page.content.decode()
    for expected in [
        "第 3 行：日期 2027-02-30 不存在",
        "第 4 行：日期 2028-01-01 不在 2027 年内",
        "第 5 行：日期 2027-01-01 与第 1 行重复",
        "第 6 行：日期 2027-02-08 是周一至周五",
        "第 7 行：类型“请假”无法识别",
        "第 8 行：无法识别日期“二〇二七年”",
    ]:
        assert expected in html, expected
    assert "第 1 行" not in html.replace("与第 1 行重复", "") and "第 10 行" not in html
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_bulk_entry_refuses_a_date_already_entered(world):
    admin = world.users["city_admin"]
    services.calendar_bulk_enter(actor=admin, year=2027, text=SCHEDULE_2027, now=NOW)
    with pytest.raises(ValidationError) as exc:
        services.calendar_bulk_enter(actor=admin, year=2027, now=NOW,
                                     text="2027-05-01 放假 劳动节\n2027-02-06 放假 春节")
    assert exc.value.messages == ["第 2 行：日期 2027-02-06 已录入（2027-02-06 放假 春节）"]
    assert not CalendarDay.objects.filter(date=datetime.date(2027, 5, 1)).exists()


def test_an_empty_paste_is_refused(world):
    with pytest.raises(ValidationError):
        services.calendar_bulk_enter(actor=world.users["city_admin"], year=2027, text="\n# nothing\n", now=NOW)
    assert not CalendarYear.objects.filter(year=2027).exists()


# --- one year, one day at a time ---------------------------------------------------------------------

def test_confirm_an_empty_year_then_add_and_delete_days(login, world):
    client = login("city_admin")
    page = client.get(year_url())
    assert "确认录入 2027 年" in page.content.decode()
    assert client.post(reverse("workdays:year_enter", kwargs={"year": 2027}), {"note": "国办发明电"}).status_code == 302
    year = CalendarYear.objects.get(year=2027)
    assert year.note == "国办发明电" and not year.days.exists()
    # Entering it again is refused with a message on the page.
    page = client.post(reverse("workdays:year_enter", kwargs={"year": 2027}), {}, follow=True)
    assert page.status_code == 200 and "2027 年已录入。" in page.content.decode()

    add = reverse("workdays:day_add", kwargs={"year": 2027})
    assert client.post(add, {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}).status_code == 302
    page = client.post(add, {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"})
    assert "已录入" in page.content.decode() and CalendarDay.objects.filter(date__year=2027).count() == 1
    page = client.post(add, {"date": "2026-10-01", "kind": "holiday", "name": "国庆节"})
    assert "日期 2026-10-01 不在 2027 年内" in page.content.decode()

    day = CalendarDay.objects.get(date=datetime.date(2027, 10, 1))
    assert client.post(reverse("workdays:day_delete", kwargs={"year": 2027, "pk": day.pk})).status_code == 302
    assert not CalendarDay.objects.filter(pk=day.pk).exists()
    assert CalendarDay.history.filter(id=day.pk, history_type="-").exists()


def test_adding_a_day_to_a_year_not_entered_is_refused(world):
    with pytest.raises(ValidationError):
        services.calendar_day_add(actor=world.users["city_admin"], year=2027, date=datetime.date(2027, 1, 1),
                                  kind="holiday", name="元旦")


def test_a_day_outside_its_year_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarDay.objects.create(date=datetime.date(2024, 12, 31), kind="holiday", year_id=2025)


def test_the_menu_shows_the_calendar_to_the_city_admin_only(login):
    url = reverse("workdays:year_list")
    assert f'href="{url}"' in login("city_admin").get(reverse("home")).content.decode()
    assert f'href="{url}"' not in login("street_staff").get(reverse("home")).content.decode()


def test_admin_shows_the_calendar_read_only(client, world):
    from accounts.models import User

    client.force_login(User.objects.create_superuser("root-calendar", "root@example.com", "Root-Pass-2026!"))
    for url in ["/admin/workdays/calendaryear/", "/admin/workdays/calendaryear/2025/change/",
                "/admin/workdays/calendarday/", "/admin/workdays/calendarfallback/"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/workdays/calendaryear/add/").status_code == 403
