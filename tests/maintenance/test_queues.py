"""The fund's 待办 queues (accounts/menu.py): each step's applications are counted for the people who take
that step, inside their scope, and leave the queue when the step is taken."""
from django.utils import timezone

from accounts import menu

from .conftest import step, submit, through


def counts(w, persona):
    keys = ("fund_to_review", "fund_to_approve", "fund_to_disburse", "fund_returned")
    got = menu.header_counts(w.users[persona], timezone.now()).queues
    return {k: got[k] for k in keys if k in got}


def test_each_step_waits_on_the_people_who_take_it(mw):
    w = mw
    a = submit(w, w.lift_estate, area=4000, per_sqm=75, has_lift=True)   # 山城街道
    b = submit(w, w.bz_estate, area=3000, per_sqm=55, actor="street_staff2")  # 北庄街道, same district
    assert counts(w, "district_staff") == {"fund_to_review": 2, "fund_to_disburse": 0}
    assert counts(w, "district_admin") == {"fund_to_review": 2, "fund_to_approve": 0, "fund_to_disburse": 0}
    assert counts(w, "district_admin_gc") == {"fund_to_review": 0, "fund_to_approve": 0, "fund_to_disburse": 0}
    assert counts(w, "street_staff") == {"fund_returned": 0}

    through(w, a, "review")
    step(w, b, "return", "district_staff", comment="面积与房产测绘报告不符")
    assert counts(w, "district_staff") == {"fund_to_review": 0, "fund_to_disburse": 0}
    assert counts(w, "district_admin") == {"fund_to_review": 0, "fund_to_approve": 1, "fund_to_disburse": 0}
    assert counts(w, "street_staff") == {"fund_returned": 0}      # b is 北庄街道's, not 山城街道's
    assert counts(w, "street_staff2") == {"fund_returned": 1}

    a.refresh_from_db()
    step(w, a, "approve", "district_admin")
    assert counts(w, "district_staff") == {"fund_to_review": 0, "fund_to_disburse": 1}
    assert counts(w, "district_admin")["fund_to_approve"] == 0


def test_the_home_page_lists_the_waiting_applications_oldest_first(mw, login):
    """The 待办 card on the home page (reports/work_list.py) shows the fund's rows with their links; it
    failed with a 500 on the district home of the seeded demo before the fund's rows had a way to show."""
    from django.urls import reverse

    w = mw
    a = submit(w, w.lift_estate, area=4000, per_sqm=75, has_lift=True)
    response = login("district_staff").get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "维修资金待审核" in html
    assert reverse("maintenance:application_detail", args=[a.pk]) in html
    assert "维修资金 · 建设新村 · 已提交" in html


def test_a_queue_of_rows_without_a_date_shows_its_count_only(world):
    """The evaluation targets (firms, streets, communities) have no date to order by: no rows, no error."""
    from enterprises.models import Firm
    from reports.work_list import oldest

    assert Firm.objects.exists()
    assert oldest(Firm.objects.all()) == []
