"""The evaluation pages per persona: scope (404 outside), the window shown before filling, the results before
and after the window per role, a filled questionnaire seen by whoever filled it and the district only, the
campaign set up in the browser, and a concurrent double submit giving one questionnaire (PostgreSQL)."""
import datetime
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.urls import reverse

from evaluations.models import Campaign, Response, UnitKind

from .conftest import AFTER, INSIDE, answers, submit
from .test_rules import OFFICE, _fill_firm1_and_shancheng

pytestmark = pytest.mark.django_db
K = UnitKind


def at(day):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(10)).astimezone(), tick=False)


def fill_url(w, evaluator, target):
    return reverse("evaluations:fill", args=[w.campaign.pk, f"{evaluator[0]}-{evaluator[1].pk}",
                                             f"{target[0]}-{target[1].pk}"])


def post_data(questions, values):
    data = {}
    for q, v in zip(questions, values):
        data[f"q{q.pk}"] = ("yes" if v else "no") if isinstance(v, bool) else str(v)
    return data


def result_names(response, kind):
    section = next((s for s in response.context["sections"] if s["kind"] == kind), None)
    return None if section is None else [r.target.name for r, _cells in section["rows"]]


# --- scope ----------------------------------------------------------------------------------------------------

def test_another_districts_campaign_and_its_pages_do_not_exist(ew, login):
    w = ew
    client = login("district_admin_gc")
    for name in ("campaign_detail", "results", "campaign_edit"):
        assert client.get(reverse(f"evaluations:{name}", args=[w.campaign.pk])).status_code == 404
    assert client.get(fill_url(w, (K.STREET, w.shancheng), (K.FIRM, w.firm1))).status_code == 404
    assert w.campaign not in client.get(reverse("evaluations:campaign_list")).context["object_list"]


def test_the_fill_page_is_404_for_a_unit_one_does_not_fill_for_or_a_target_it_does_not_evaluate(ew, login):
    w = ew
    with at(INSIDE):
        assert login("street_staff2").get(fill_url(w, (K.STREET, w.shancheng), (K.FIRM, w.firm1))).status_code == 404
        assert login("street_staff").get(fill_url(w, (K.STREET, w.shancheng), (K.FIRM, w.firm2))).status_code == 404
        assert login("firm_user").get(fill_url(w, (K.COMMITTEE, w.committee), (K.STREET, w.shancheng))
                                      ).status_code == 404
        assert login("street_staff").get(fill_url(w, (K.STREET, w.shancheng), (K.FIRM, w.firm1))).status_code == 200


def test_a_filled_questionnaire_is_seen_by_its_unit_and_the_district_never_by_the_unit_evaluated(ew, login):
    w = ew
    r = submit(w, "street_staff", (K.STREET, w.shancheng), (K.FIRM, w.firm1), [5, 4, 4, 3, 5, True])
    paper = submit(w, "community_clerk", (K.COMMITTEE, w.committee), (K.COMMUNITY, w.meiyuan), OFFICE,
                   paper_number="MY-7", paper_signed_on=datetime.date(2025, 11, 5))
    url = reverse("evaluations:response_detail", args=[r.pk])
    for persona, status in (("street_staff", 200), ("district_admin", 200), ("district_staff", 200),
                            ("city_admin", 200), ("firm_user", 404), ("street_staff2", 404),
                            ("district_admin_gc", 404), ("community_clerk", 404)):
        assert login(persona).get(url).status_code == status, persona
    page = login("street_staff").get(reverse("evaluations:response_detail", args=[paper.pk]))
    assert page.status_code == 200 and 'data-testid="on-paper"' in page.content.decode()  # the committee's street
    assert login("community_clerk").get(reverse("evaluations:response_detail", args=[paper.pk])).status_code == 200


# --- the window before filling -----------------------------------------------------------------------------------

def test_before_the_window_the_page_shows_the_dates_and_no_form_and_a_post_writes_nothing(ew, login):
    w = ew
    url = fill_url(w, (K.STREET, w.shancheng), (K.FIRM, w.firm1))
    with at(datetime.date(2025, 10, 31)):
        client = login("street_staff")
        page = client.get(url)
        html = page.content.decode()
        assert "2025 年度评价填报时间为 2025-11-01 至 2025-11-30，尚未开始。" in html
        assert page.context["form"] is not None and "提交评价" not in html
        response = client.post(url, post_data(w.of_firm, [5, 4, 4, 3, 5, True]))
        assert response.status_code == 200 and "尚未开始" in response.content.decode()
    with at(AFTER):
        assert "已经截止" in login("street_staff").get(url).content.decode()
    assert Response.objects.count() == 0


def test_inside_the_window_the_street_fills_its_questionnaire_once(ew, login):
    w = ew
    url = fill_url(w, (K.STREET, w.shancheng), (K.FIRM, w.firm1))
    with at(INSIDE):
        client = login("street_staff")
        detail = client.get(reverse("evaluations:campaign_detail", args=[w.campaign.pk]))
        # firm 甲; and 梅花园's committee's paper questionnaires about the street and the community
        assert [(p.evaluator_kind, str(p.target)) for p in detail.context["pairs"]] == [
            ("street", w.firm1.name), ("committee", "山城街道"), ("committee", "梅园社区")]
        assert detail.context["pending"] == 3
        assert f'href="{url}" data-testid="fill-link"' in detail.content.decode()
        missing = client.post(url, post_data(w.of_firm[:5], [5, 4, 4, 3, 5]))
        assert "第 6 题请选择“是”或“否”。" in missing.content.decode()
        assert Response.objects.count() == 0
        done = client.post(url, post_data(w.of_firm, [5, 4, 4, 3, 5, True]))
        assert done.status_code == 302
        again = client.post(url, post_data(w.of_firm, [1, 1, 1, 1, 1, False]))
        assert 'data-testid="done"' in again.content.decode()
    [r] = Response.objects.all()
    assert list(r.answers.order_by("question__order").values_list("score", flat=True)) == [5, 4, 4, 3, 5, None]


# --- results: who sees what, when --------------------------------------------------------------------------------

@pytest.mark.parametrize("persona,firms,streets,communities", [
    ("district_admin", ["山亭乙物业服务有限公司", "山亭甲物业服务有限公司"], ["山城街道"], []),
    ("district_staff", ["山亭乙物业服务有限公司", "山亭甲物业服务有限公司"], ["山城街道"], []),
    ("city_admin", ["山亭乙物业服务有限公司", "山亭甲物业服务有限公司"], ["山城街道"], []),
    ("firm_user", None, None, None),
    ("street_staff", None, None, None),
    ("community_clerk", None, None, None),
])
def test_before_the_window_closes_only_the_district_and_city_see_results(ew, login, persona, firms, streets,
                                                                          communities):
    w = ew
    _fill_firm1_and_shancheng(w)
    with at(datetime.date(2025, 11, 30)):
        page = login(persona).get(reverse("evaluations:results", args=[w.campaign.pk]))
    assert page.status_code == 200
    assert [result_names(page, k) for k in (K.FIRM, K.STREET, K.COMMUNITY)] == [firms, streets, communities]
    if firms is None:
        assert 'data-testid="not-yet"' in page.content.decode()


@pytest.mark.parametrize("persona,firms,streets", [
    ("firm_user", ["山亭甲物业服务有限公司"], None),   # its own results only
    ("firm_user2", ["山亭乙物业服务有限公司"], None),
    ("street_staff", None, ["山城街道"]),              # the results about itself, not about firms
    ("street_staff2", None, []),                      # nobody evaluated 北庄街道
    ("district_admin", ["山亭乙物业服务有限公司", "山亭甲物业服务有限公司"], ["山城街道"]),
])
def test_after_the_window_firms_and_streets_see_the_results_about_themselves(ew, login, persona, firms, streets):
    w = ew
    _fill_firm1_and_shancheng(w)
    with at(AFTER):
        page = login(persona).get(reverse("evaluations:results", args=[w.campaign.pk]))
    assert page.status_code == 200
    assert [result_names(page, K.FIRM), result_names(page, K.STREET)] == [firms, streets]
    if persona == "firm_user":
        assert 'data-testid="overall">3.70<' in page.content.decode()


# --- the district sets a campaign up in the browser ----------------------------------------------------------------

def test_the_district_admin_creates_edits_and_publishes_a_campaign_in_the_browser(world, login):
    w = world
    with at(datetime.date(2025, 10, 1)):
        assert login("district_staff").get(reverse("evaluations:campaign_create", args=[w.shanting.pk])
                                           ).status_code == 404
        client = login("district_admin")
        bad = client.post(reverse("evaluations:campaign_create", args=[w.shanting.pk]), {
            "year": 2025, "opens_on": "2025-11-30", "closes_on": "2025-11-01", "poor_line": "3.00"})
        assert "截止日期不能早于开始日期。" in bad.content.decode() and Campaign.objects.count() == 0
        made = client.post(reverse("evaluations:campaign_create", args=[w.shanting.pk]), {
            "year": 2025, "opens_on": "2025-11-01", "closes_on": "2025-11-30", "poor_line": "3.00"})
        campaign = Campaign.objects.get()
        assert made.status_code == 302 and campaign.feeds_credit is False
        client.post(reverse("evaluations:question_add", args=[campaign.pk]),
                    {"direction": "of_office", "text": "是否及时回应企业诉求", "kind": "yesno"})
        assert campaign.questions.filter(direction="of_office").count() == 6
        first = campaign.questions.get(direction="of_firm", order=1)
        client.post(reverse("evaluations:question_remove", args=[campaign.pk, first.pk]))
        assert campaign.questions.filter(direction="of_firm").count() == 5
        client.post(reverse("evaluations:campaign_edit", args=[campaign.pk]), {
            "opens_on": "2025-11-03", "closes_on": "2025-11-28", "poor_line": "2.50", "feeds_credit": "on"})
        client.post(reverse("evaluations:campaign_publish", args=[campaign.pk]))
        campaign.refresh_from_db()
        assert (campaign.status, campaign.opens_on, campaign.poor_line, campaign.feeds_credit) == (
            "published", datetime.date(2025, 11, 3), 2.5, True)
        page = login("street_staff").get(reverse("evaluations:campaign_detail", args=[campaign.pk]))
        assert "2025 年度评价填报时间为 2025-11-03 至 2025-11-28，尚未开始。" in page.content.decode()


# --- a double submit ----------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent inserts need PostgreSQL")
def test_two_concurrent_submits_of_one_questionnaire_leave_one(ew):
    w = ew
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            submit(w, "street_staff", (K.STREET, w.shancheng), (K.FIRM, w.firm1), [5, 4, 4, 3, 5, True])
            outcomes.append("ok")
        except Exception as exc:  # the second one is refused
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ValidationError", "ok"]
    assert Response.objects.count() == 1 and Response.objects.get().answers.count() == 6
