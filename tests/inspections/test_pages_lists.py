"""Inspection and order lists: filters, sorting, exports that respect filters, pinned query counts."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.models import Inspection, InspectionStatus, OrderStatus, RectificationOrder
from inspections.services.orders import order_issue
from tests.factories import EstateFactory

from .test_pages_permissions import submitted, xlsx_rows

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def make_inspection(world, estate, day, total=Decimal("90.0"), kind="regular", status=InspectionStatus.SUBMITTED,
                    rubric=None):
    submitted_at = timezone.now() if status != InspectionStatus.DRAFT else None
    return Inspection.objects.create(
        estate=estate, rubric=rubric, kind=kind, date=day, inspectors="张三", created_by=world.users["street_staff"],
        status=status, total=total if status != InspectionStatus.DRAFT else None, submitted_at=submitted_at)


@pytest.fixture
def many(world, rubric):
    """20 estates in 梅园社区 (firm 甲) and 北庄社区 (firm 乙), one inspection and one order each."""
    rows = []
    for n in range(20):
        community = world.meiyuan if n % 2 else world.beizhuang_c
        firm = world.firm1 if n % 2 else world.firm2
        estate = EstateFactory(community=community, name=f"测试小区{n:02d}", firm=firm,
                               firm_since=datetime.date(2020, 1, 1))
        insp = make_inspection(world, estate, TODAY - datetime.timedelta(days=n), total=Decimal(80 + n % 10),
                               rubric=rubric)
        clerk = world.users["street_staff" if n % 2 else "street_staff2"]
        order = order_issue(actor=clerk, estate=estate, problem=f"问题{n}", inspection=insp, now=timezone.now())
        rows.append((estate, insp, order))
    return rows


def names(response):
    return sorted(i.estate.name for i in response.context["object_list"])


# --- inspections ----------------------------------------------------------------------------------

def test_inspection_filters_by_place_firm_kind_status_and_dates(world, rubric, login):
    a = make_inspection(world, world.estate_a1, datetime.date(2025, 11, 3), rubric=rubric)
    b = make_inspection(world, world.estate_a2, datetime.date(2025, 8, 1), kind="special", rubric=rubric)
    c = make_inspection(world, world.estate_b1, datetime.date(2025, 12, 30), status=InspectionStatus.DRAFT,
                        rubric=rubric)
    client = login("district_admin")
    url = reverse("inspections:inspection_list")

    def pks(params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {i.pk for i in response.context["object_list"]}

    assert pks({"street": world.shancheng.pk}) == {a.pk, b.pk}
    assert pks({"community": world.meiyuan.pk}) == {a.pk}
    assert pks({"estate": world.estate_b1.pk}) == {c.pk}
    assert pks({"firm": world.firm1.pk}) == {a.pk}
    assert pks({"kind": "special"}) == {b.pk}
    assert pks({"status": "draft"}) == {c.pk}
    assert pks({"quarter": "2025Q4"}) == {a.pk, c.pk}
    assert pks({"date_from": "2025-11-01", "date_to": "2025-11-30"}) == {a.pk}
    assert pks({"quarter": "2025Q4", "date_to": "2025-12-01"}) == {a.pk}


def test_a_malformed_quarter_filter_shows_its_message_and_lists_nothing(world, rubric, login):
    make_inspection(world, world.estate_a1, TODAY, rubric=rubric)
    response = login("street_staff").get(reverse("inspections:inspection_list"), {"quarter": "26Q9"})
    assert list(response.context["object_list"]) == []
    assert "季度格式应为" in response.content.decode()


def test_filter_choices_are_the_personas_own_places(world, login):
    form = login("community_clerk").get(reverse("inspections:inspection_list")).context["filter"].form
    assert list(form.fields["community"].queryset) == [world.meiyuan]
    assert list(form.fields["estate"].queryset) == [world.estate_a1]
    assert list(form.fields["firm"].queryset) == [world.firm1]
    # Another street's estate in the query string is not a valid choice: nothing is listed.
    response = login("community_clerk").get(reverse("inspections:inspection_list"), {"estate": world.estate_b1.pk})
    assert list(response.context["object_list"]) == []


def test_inspection_sort_by_total(world, rubric, login):
    make_inspection(world, world.estate_a1, TODAY, total=Decimal("70"), rubric=rubric)
    make_inspection(world, world.estate_a2, TODAY, total=Decimal("95"), rubric=rubric)
    response = login("street_staff").get(reverse("inspections:inspection_list"), {"sort": "-total"})
    assert [i.total for i in response.context["object_list"]] == [Decimal("95"), Decimal("70")]


def test_inspection_export_follows_the_filters_and_carries_totals(world, rubric, login):
    submitted(world, world.estate_a1)
    make_inspection(world, world.estate_a2, TODAY, kind="special", total=Decimal("81.5"), rubric=rubric)
    rows = xlsx_rows(login("street_staff").get(reverse("inspections:inspection_list"),
                                               {"kind": "special", "export": "xlsx"}))
    assert [(r["小区"], r["检查类型"], r["总分"], r["状态"]) for r in rows] == [("锦绣花园", "专项检查", 81.5, "已提交")]
    rows = xlsx_rows(login("street_staff").get(reverse("inspections:inspection_list"), {"export": "xlsx"}))
    assert sorted(r["总分"] for r in rows) == [81.5, 100.0]


def test_inspection_list_query_count_does_not_grow_with_rows(world, many, login, django_assert_max_num_queries):
    client = login("district_admin")
    with django_assert_max_num_queries(11):
        response = client.get(reverse("inspections:inspection_list"))
    assert len(response.context["object_list"]) == 20
    with django_assert_max_num_queries(10):
        rows = xlsx_rows(client.get(reverse("inspections:inspection_list"), {"export": "xlsx"}))
    assert len(rows) == 20


# --- orders ---------------------------------------------------------------------------------------

def test_order_filters_status_overdue_firm_and_issue_period(world, rubric, login):
    o1 = order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="甲", now=timezone.now())
    o2 = order_issue(actor=world.users["street_staff2"], estate=world.estate_b1, problem="乙", now=timezone.now())
    o3 = order_issue(actor=world.users["street_staff2"], estate=world.estate_b1, problem="丙", now=timezone.now())
    RectificationOrder.objects.filter(pk=o2.pk).update(deadline=TODAY - datetime.timedelta(days=1))  # job not run
    RectificationOrder.objects.filter(pk=o3.pk).update(status=OrderStatus.OVERDUE,
                                                       issued_at=timezone.now() - datetime.timedelta(days=400))
    client = login("district_admin")

    def pks(params):
        return {o.pk for o in client.get(reverse("inspections:order_list"), params).context["object_list"]}

    assert pks({"overdue": "true"}) == {o2.pk, o3.pk}
    assert pks({"overdue": "false"}) == {o1.pk}
    assert pks({"firm": world.firm1.pk}) == {o1.pk}
    assert pks({"status": "overdue"}) == {o3.pk}
    assert pks({"street": world.beizhuang.pk}) == {o2.pk, o3.pk}
    assert pks({"issued_from": TODAY.isoformat()}) == {o1.pk, o2.pk}
    start = datetime.date(TODAY.year, 3 * ((TODAY.month - 1) // 3) + 1, 1)
    assert pks({"quarter": f"{start.year}Q{(start.month - 1) // 3 + 1}"}) == {o1.pk, o2.pk}


def test_firm_sees_only_orders_to_itself_even_when_filtering_for_another(world, login):
    order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="甲", now=timezone.now())
    order_issue(actor=world.users["street_staff2"], estate=world.estate_b1, problem="乙", now=timezone.now())
    client = login("firm_user")
    assert [o.problem for o in client.get(reverse("inspections:order_list")).context["object_list"]] == ["甲"]
    response = client.get(reverse("inspections:order_list"), {"firm": world.firm2.pk})
    assert list(response.context["object_list"]) == []


def test_order_export_follows_the_filters(world, login):
    order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="甲", now=timezone.now())
    o2 = order_issue(actor=world.users["street_staff2"], estate=world.estate_b1, problem="乙", now=timezone.now())
    RectificationOrder.objects.filter(pk=o2.pk).update(deadline=TODAY - datetime.timedelta(days=2))
    rows = xlsx_rows(login("city_admin").get(reverse("inspections:order_list"), {"overdue": "true",
                                                                                 "export": "xlsx"}))
    assert [(r["编号"], r["小区"], r["物业企业"], r["存在问题"], r["是否逾期"]) for r in rows] == [
        (o2.number, "北庄花园", world.firm2.name, "乙", "是")]


def test_order_list_query_count_does_not_grow_with_rows(world, many, login, django_assert_max_num_queries):
    client = login("district_admin")
    with django_assert_max_num_queries(11):
        response = client.get(reverse("inspections:order_list"))
    assert len(response.context["object_list"]) == 20
    with django_assert_max_num_queries(10):
        rows = xlsx_rows(client.get(reverse("inspections:order_list"), {"export": "xlsx"}))
    assert len(rows) == 20


def test_rubric_list_query_count(world, many, login, django_assert_max_num_queries):
    client = login("district_admin")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("inspections:rubric_list"))
    assert response.status_code == 200


def test_progress_query_count_does_not_grow_with_estates(world, many, login, django_assert_max_num_queries):
    client = login("district_admin")
    with django_assert_max_num_queries(14):
        response = client.get(reverse("inspections:progress"))
    assert sum(len(s.estates) for s in response.context["streets"]) == 23


def test_scoring_form_and_detail_query_counts_do_not_grow_with_items(world, rubric, login,
                                                                      django_assert_max_num_queries):
    from inspections.services.inspections import inspection_start

    insp = submitted(world, world.estate_a1)
    draft = inspection_start(actor=world.users["street_staff"], estate=world.estate_a1, kind="regular", date=TODAY,
                             inspectors="张三", today=TODAY)
    client = login("street_staff")
    with django_assert_max_num_queries(16):
        assert client.get(reverse("inspections:inspection_detail", args=[insp.pk])).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("inspections:inspection_edit", args=[draft.pk])).status_code == 200
