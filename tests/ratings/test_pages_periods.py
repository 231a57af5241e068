"""Periods through the pages: run, results (sort, filter, export), breakdown, publish, appeals."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from inspections.models import Inspection
from ratings.models import Appeal, AppealStatus, PeriodStatus, RatingPeriod, StarRating
from tests.factories import EstateFactory

from ._pages import DEADLINE, RUN_DAY, at, media, publish, rated  # noqa: F401 (fixtures)
from .conftest import accept, components, inspected, moment

pytestmark = pytest.mark.django_db
RUN = reverse("ratings:period_run")


def _messages(response):
    return " ".join(str(m) for m in response.context["messages"])


def test_district_admin_runs_a_quarter_from_the_page(rating_world, login):
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["90.5", "88.0", "87.5"])
    components(w, w.estate_a1, "90", "90")
    client = login("district_admin")
    with at(RUN_DAY):
        form = client.get(RUN).context["form"]
        assert [d.name for d in form.fields["district"].queryset] == ["山亭区"]
        assert (form["year"].value(), form["quarter"].value()) == (2025, 1)  # the quarter just ended
        response = client.post(RUN, {"district": w.shanting.pk, "year": 2025, "quarter": 1}, follow=True)
    period = RatingPeriod.objects.get(district=w.shanting, year=2025, quarter=1)
    assert response.redirect_chain[-1][0] == reverse("ratings:period_detail", args=[period.pk])
    assert "1 个参评小区" in _messages(response) and "核对无误后请公示" in _messages(response)
    # Computing opens no appeal window: the announcement does (test_lifecycle.py).
    assert (period.status, period.appeal_deadline) == (PeriodStatus.PROVISIONAL, None)
    assert [(e.action, e.actor) for e in period.events.all()] == [("compute", w.users["district_admin"])]
    rating = StarRating.objects.get(period=period)
    assert (rating.score, rating.tier) == (Decimal("89.07"), 5)


def test_running_a_quarter_not_over_shows_the_service_error(rating_world, login):
    w = rating_world
    with at(RUN_DAY):
        response = login("district_admin").post(RUN, {"district": w.shanting.pk, "year": 2025, "quarter": 2})
    assert response.status_code == 200
    assert "2025Q2 尚未结束，不能评定" in response.content.decode()
    assert not RatingPeriod.objects.exists()


def test_only_the_districts_admin_may_run(rating_world, login):
    w = rating_world
    with at(RUN_DAY):
        other = login("district_admin_gc").post(RUN, {"district": w.shanting.pk, "year": 2025, "quarter": 1})
        assert other.context["form"].errors["district"]  # not a choice for them
        assert login("street_staff").post(RUN, {"district": w.shanting.pk, "year": 2025, "quarter": 1}
                                          ).status_code == 404
    assert not RatingPeriod.objects.filter(district=w.shanting).exists()


def _names(response):
    return [r.estate.name for r in response.context["object_list"]]


def test_results_sort_by_score_and_filter_by_street_and_tier(rated, login):
    w = rated
    extra = EstateFactory(community=w.ziwei, name="紫薇苑")
    accept(w, extra, firm=w.firm1)  # accepted, never inspected: no score, listed last both ways
    with at(RUN_DAY):  # announced: only the district's recompute with a reason brings 紫薇苑 in
        from ratings.services.periods import period_recompute
        period_recompute(actor=w.users["district_admin"], period=w.period, reason="补充受理紫薇苑",
                         today=RUN_DAY, now=moment(RUN_DAY))
    client = login("district_admin")
    url = reverse("ratings:period_detail", args=[w.period.pk])
    assert _names(client.get(url)) == ["梅花园", "北庄花园", "紫薇苑"]
    assert _names(client.get(url, {"sort": "score"})) == ["北庄花园", "梅花园", "紫薇苑"]
    assert _names(client.get(url, {"sort": "-score"})) == ["梅花园", "北庄花园", "紫薇苑"]
    assert _names(client.get(url, {"street": w.beizhuang.pk})) == ["北庄花园"]
    assert _names(client.get(url, {"tier": 5})) == ["梅花园"]
    assert _names(client.get(url, {"tier": 0})) == ["紫薇苑"]
    html = client.get(url).content.decode()
    for text in ("89.07", "78.60", "88.67", "★★★★★", "本季度无已提交的检查", "山亭甲物业服务有限公司"):
        assert text in html


def test_results_export_has_every_column(rated, login):
    from .test_pages_permissions import _export

    rows = _export(login("district_admin").get(reverse("ratings:period_detail", args=[rated.period.pk]),
                                               {"export": "xlsx"}))
    a1 = next(r for r in rows if r["小区"] == "梅花园")
    assert (a1["街道"], a1["物业企业"], a1["检查次数"], a1["检查平均分"], a1["业主及业委会意见得分"],
            a1["第三方满意度得分"], a1["综合得分"], a1["星级"], a1["状态"]) == (
        "山城街道", "山亭甲物业服务有限公司", 3, 88.67, 90, 90, 89.07, 5, "公示中")


def test_breakdown_writes_the_computation_out(rated, login):
    w = rated
    response = login("firm_user").get(reverse("ratings:rating_detail", args=[w.rating_a1.pk]))
    html = response.content.decode()
    assert "88.67×70% + 90.00×10% + 90.00×20% = 89.07" in html
    assert "62.069" in html  # 88.67 × 70%
    inspections = list(response.context["inspections"])
    assert len(inspections) == 3
    for i in inspections:
        assert reverse("inspections:inspection_detail", args=[i.pk]) in html
    assert "★5 ≥85" in html


def test_breakdown_uses_the_weights_of_the_periods_policy(rated, login):
    w = rated
    policy = w.period.policy
    policy.weight_inspection, policy.weight_opinion, policy.weight_satisfaction = (
        Decimal("50"), Decimal("20"), Decimal("30"))
    policy.save()
    with at(RUN_DAY):
        from ratings.services.periods import period_recompute
        period_recompute(actor=w.users["district_admin"], period=w.period, reason="权重调整", today=RUN_DAY,
                         now=moment(RUN_DAY))
    # 88.67×0.5 + 90×0.2 + 90×0.3 = 44.335 + 18 + 27 = 89.335 -> 89.34
    html = login("district_admin").get(reverse("ratings:rating_detail", args=[w.rating_a1.pk])).content.decode()
    assert "88.67×50% + 90.00×20% + 90.00×30% = 89.34" in html


def test_publish_is_refused_in_the_appeal_window_then_done_then_refused_again(rated, login):
    w = rated
    url = reverse("ratings:period_publish", args=[w.period.pk])
    client = login("district_admin")
    with at(DEADLINE):
        response = client.post(url, follow=True)
    assert "申诉期至 2025-04-13 结束，申诉期内不能公布" in _messages(response)
    w.period.refresh_from_db()
    assert w.period.status == PeriodStatus.ANNOUNCED
    with at(DEADLINE + datetime.timedelta(days=1)):
        client = login("district_admin")  # sessions expire: log in again on the new day
        response = client.post(url, follow=True)
        assert "已确认并公布" in _messages(response)
        again = client.post(url, follow=True)
    assert "2025Q1 评定结果已公布，不能重复公布" in _messages(again)
    w.period.refresh_from_db()
    assert w.period.status == PeriodStatus.PUBLISHED
    assert "确认并公布" not in again.content.decode().split("</h1>")[1].split("申诉截止")[0]


def test_publish_button_is_only_for_the_districts_admin(rated, login):
    w = rated
    url = reverse("ratings:period_detail", args=[w.period.pk])
    assert login("district_admin").get(url).context["can_publish"]
    for persona in ("district_staff", "street_staff", "firm_user", "community_clerk"):
        assert not login(persona).get(url).context["can_publish"]
    with at(DEADLINE + datetime.timedelta(days=1)):
        response = login("street_staff").post(reverse("ratings:period_publish", args=[w.period.pk]), follow=True)
    assert "只有本区管理员" in _messages(response)
    assert login("district_admin_gc").post(reverse("ratings:period_publish", args=[w.period.pk])).status_code == 404
    w.period.refresh_from_db()
    assert w.period.status == PeriodStatus.ANNOUNCED


def test_appeal_in_the_window_then_decided_then_published(rated, login):
    w = rated
    url = reverse("ratings:rating_detail", args=[w.rating_b1.pk])
    with at(DEADLINE):
        page = login("firm_user2").get(url)
        assert page.context["can_appeal"]
        empty = login("firm_user2").post(url, {"reason": ""})
        assert empty.context["appeal_form"].errors["reason"]
        response = login("firm_user2").post(url, {"reason": "3 月 20 日检查漏记已整改项目"}, follow=True)
        assert "申诉已提交" in _messages(response)
        assert not response.context["can_appeal"]  # one open appeal at a time
        appeal = Appeal.objects.get()
        period_page = login("district_admin").get(reverse("ratings:period_detail", args=[w.period.pk]))
        assert [a.pk for a in period_page.context["open_appeals"]] == [appeal.pk]
        assert "3 月 20 日检查漏记已整改项目" in period_page.content.decode()
        assert "3 月 20 日" not in login("firm_user").get(
            reverse("ratings:period_detail", args=[w.period.pk])).content.decode()

    with at(DEADLINE + datetime.timedelta(days=1)):
        refused = login("district_admin").post(reverse("ratings:period_publish", args=[w.period.pk]), follow=True)
        assert "还有未处理的申诉" in _messages(refused)
        decide = reverse("ratings:appeal_decide", args=[appeal.pk])
        no_text = login("district_admin").post(decide, {"upheld": "1", "decision": "", "adjusted_tier": "4"},
                                               follow=True)
        assert "处理意见" in _messages(no_text)
        assert login("firm_user2").post(decide, {"upheld": "1", "decision": "x", "adjusted_tier": "5"},
                                        follow=True).status_code == 200
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.OPEN  # the firm cannot decide its own appeal
        done = login("district_admin").post(decide, {"upheld": "1", "decision": "复核属实", "adjusted_tier": "4",
                                                     "next": reverse("ratings:period_detail", args=[w.period.pk])},
                                            follow=True)
        assert "申诉已处理：申诉成立" in _messages(done)
        assert done.redirect_chain[-1][0].startswith(reverse("ratings:period_detail", args=[w.period.pk]))
        login("district_admin").post(reverse("ratings:period_publish", args=[w.period.pk]))
    w.rating_b1.refresh_from_db()
    w.period.refresh_from_db()
    assert w.rating_b1.tier == 4 and w.period.status == PeriodStatus.PUBLISHED
    html = login("firm_user2").get(url).content.decode()
    assert "复核属实" in html and "申诉成立" in html


def test_appeal_after_the_window_is_refused(rated, login):
    w = rated
    url = reverse("ratings:rating_detail", args=[w.rating_a1.pk])
    with at(DEADLINE + datetime.timedelta(days=1)):
        assert not login("firm_user").get(url).context["can_appeal"]
        response = login("firm_user").post(url, {"reason": "迟到的申诉"}, follow=True)
    assert "申诉期已过（截止 2025-04-13）" in _messages(response)
    assert not Appeal.objects.exists()


def test_only_the_rated_firm_may_appeal(rated, login):
    w = rated
    url = reverse("ratings:rating_detail", args=[w.rating_a1.pk])
    with at(DEADLINE):
        assert not login("street_staff").get(url).context["can_appeal"]
        response = login("street_staff").post(url, {"reason": "代为申诉"}, follow=True)
        assert "本企业" in _messages(response)
        assert login("firm_user2").post(url, {"reason": "x"}).status_code == 404
    assert not Appeal.objects.exists()


def test_my_ratings_shows_the_firms_results_and_held_tiers(rated, login):
    w = rated
    with at(DEADLINE):
        response = login("firm_user").get(reverse("ratings:my_ratings"))
    assert _names(response) == ["梅花园"]
    assert response.context["held"] == []  # nothing published yet
    assert "可申诉至 04-13" in response.content.decode()
    publish(w)
    response = login("firm_user").get(reverse("ratings:my_ratings"))
    assert [(r.estate.name, r.tier) for r in response.context["held"]] == [("梅花园", 5)]
    assert reverse("ratings:plaque", args=[w.rating_a1.pk]) in response.content.decode()


def _many_results(w, n=30):
    for i in range(n):
        e = EstateFactory(community=w.meiyuan, name=f"参评小区{i:02d}", firm=w.firm1,
                          firm_since=datetime.date(2020, 1, 1))
        accept(w, e)
        Inspection.objects.create(estate=e, rubric=w.rubric_2025, date=datetime.date(2025, 2, 1),
                                  inspectors="检查组", created_by=w.users["street_staff"], status="submitted",
                                  total=Decimal("80"), submitted_at=datetime.datetime(2025, 2, 1,
                                                                                      tzinfo=datetime.UTC))
        components(w, e, "80", "80")
    from ratings.services.periods import period_recompute

    return period_recompute(actor=w.users["district_admin"], period=w.period, reason="补充受理 30 个小区",
                            today=RUN_DAY, now=moment(RUN_DAY))


def test_list_pages_query_counts_do_not_grow(rated, login, django_assert_max_num_queries):
    w = rated
    _many_results(w)
    client = login("district_admin")
    # Session, user, roles, notifications, the period, count + one page of rows, appeals, the admin
    # check, open appeals (may it publish?), the timeline, filter choices (streets). One query per row
    # would add 32.
    # 16: the user has unread notices, so the page also runs the one UPDATE that marks read those about it
    # (accounts/context_processors.py); neither grows with the results.
    # 17: one more for the firms sanctioned in the period's year (may it publish, or must it be recomputed
    # first: enterprises/sanctions), one query whatever the number of results.
    with django_assert_max_num_queries(17):
        response = client.get(reverse("ratings:period_detail", args=[w.period.pk]))
    assert len(response.context["object_list"]) == 32
    with django_assert_max_num_queries(8):
        assert client.get(reverse("ratings:period_detail", args=[w.period.pk]), {"export": "xlsx"}).status_code == 200
    # Session (+ save), user, roles, notifications, count + page, visible counts (one query for all
    # periods), the run form's and the filter's district choices.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("ratings:period_list"))
    assert [p.counts["n"] for p in response.context["object_list"]] == [32]
    # The other lists: a fixed handful each, the session save (3) included.
    with django_assert_max_num_queries(12):
        client.get(reverse("ratings:policy_list"))
    with django_assert_max_num_queries(12):
        client.get(reverse("ratings:disqualification_list"))
    firm = login("firm_user")
    with django_assert_max_num_queries(12):
        response = firm.get(reverse("ratings:my_ratings"))
    assert len(response.context["object_list"]) == 25
