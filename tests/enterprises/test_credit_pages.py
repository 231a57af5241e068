"""Credit pages: scope for every persona (a firm sees only its file, a street the firms serving its estates,
404 outside), the actions through the pages with their Chinese messages, the city's catalogue and years,
the letters, and the public pages without login showing nothing that is not public."""
import datetime

import pytest
import time_machine
from django.urls import reverse

from enterprises.credit.permissions import Unit
from enterprises.credit.records import credit_objection_submit, credit_record_confirm, credit_record_create
from enterprises.models import BlacklistEntry, CreditObjection, CreditPolicy, CreditRecord, CreditStatus
from tests.conftest import PERSONAS

from .test_credit_records import at, bad_record, credit_world, document, overdue_order, record_of  # noqa: F401
from .test_credit_scores import run_year

pytestmark = pytest.mark.django_db
NOW = at(datetime.date(2025, 3, 12))

# Whose credit file each persona opens: firm 甲 serves 梅花园 (山城街道), firm 乙 北庄花园 (北庄街道);
# both are filed with 山亭区.
SEES = {
    "city_admin": {"甲", "乙"}, "district_admin": {"甲", "乙"}, "district_staff": {"甲", "乙"},
    "district_admin_gc": set(), "street_staff": {"甲"}, "street_staff2": {"乙"}, "community_clerk": {"甲"},
    "firm_user": {"甲"}, "firm_user2": {"乙"},
}


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("persona", PERSONAS)
def test_credit_file_and_record_scope_per_persona(credit_world, client, persona):
    w = credit_world
    [record] = record_of(overdue_order(w))
    other = bad_record(w, "b", datetime.date(2025, 3, 3), firm=w.firm2, confirm=False)
    client.force_login(w.users[persona])
    with time_machine.travel(NOW, tick=False):
        for firm, mark, rec in ((w.firm1, "甲", record), (w.firm2, "乙", other)):
            expected = 200 if mark in SEES[persona] else 404
            assert client.get(reverse("enterprises:credit_file", args=[firm.pk])).status_code == expected
            assert client.get(reverse("enterprises:credit_record", args=[rec.pk])).status_code == expected
        listed = client.get(reverse("enterprises:credit_list")).context["object_list"]
    assert {f.name[2] for f in listed} == SEES[persona]


def test_anonymous_is_sent_to_login_from_every_inside_page(credit_world, client):
    w = credit_world
    [record] = record_of(overdue_order(w))
    for url in (reverse("enterprises:credit_list"), reverse("enterprises:credit_file", args=[w.firm1.pk]),
                reverse("enterprises:credit_record", args=[record.pk]), reverse("enterprises:credit_queue"),
                reverse("enterprises:credit_years"), reverse("enterprises:credit_rules"),
                reverse("enterprises:credit_blacklist")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_confirm_object_decide_through_the_pages(credit_world, client, travel):
    w = credit_world
    [record] = record_of(overdue_order(w))
    page = reverse("enterprises:credit_record", args=[record.pk])
    client.force_login(w.users["district_admin"])
    queue = client.get(reverse("enterprises:credit_queue"))
    assert [r.pk for r in queue.context["to_confirm"]] == [record.pk]
    html = client.get(page).content.decode()
    assert "确认记录" in html and "提交异议" not in html and "异议期至 2025-03-18" in html
    response = client.post(reverse("enterprises:credit_record_confirm", args=[record.pk]), follow=True)
    assert "信用记录已确认" in response.content.decode()
    record.refresh_from_db()
    assert record.status == CreditStatus.CONFIRMED and record.confirmed_by == w.users["district_admin"]
    # The firm objects: an empty reason is refused with the field's message, then a real one.
    client.force_login(w.users["firm_user"])
    assert "提交异议" in client.get(page).content.decode()
    response = client.post(reverse("enterprises:credit_record_object", args=[record.pk]), {"reason": " "})
    assert response.status_code == 200 and "该字段是必填项" in response.content.decode()
    assert not CreditObjection.objects.exists()
    client.post(reverse("enterprises:credit_record_object", args=[record.pk]), {"reason": "期限前已整改，有街道签字"})
    objection = CreditObjection.objects.get()
    # The district cannot decide (the city does), and is told so on the page; its confirmer is told twice over.
    client.force_login(w.users["district_admin"])
    assert "记录人或确认人不能处理针对该记录的异议" in client.get(page).content.decode()
    client.force_login(w.users["district_staff"])
    assert "异议由记录单位的上级单位（市住房管理中心）处理" in client.get(page).content.decode()
    response = client.post(reverse("enterprises:credit_objection_decide", args=[objection.pk]),
                           {"decision": "同意", "outcome": "upheld"})
    assert "异议由记录单位的上级单位" in response.content.decode()
    objection.refresh_from_db()
    assert objection.status == "open"
    client.force_login(w.users["city_admin"])
    assert [o.pk for o in client.get(reverse("enterprises:credit_queue")).context["objections"]] == [objection.pk]
    response = client.post(reverse("enterprises:credit_objection_decide", args=[objection.pk]),
                           {"decision": "街道已确认按期整改", "outcome": "upheld"}, follow=True)
    assert "异议成立，信用记录已撤销" in response.content.decode()
    record.refresh_from_db()
    assert record.status == CreditStatus.WITHDRAWN


def test_record_create_page_for_keepers_only_and_bad_points_shown(credit_world, client, travel, settings, tmp_path):
    w = credit_world
    settings.MEDIA_ROOT = tmp_path
    url = reverse("enterprises:credit_record_create", args=[w.firm1.pk])
    for persona in ("firm_user", "community_clerk", "district_admin_gc"):
        client.force_login(w.users[persona])
        assert client.get(url).status_code == 404
    client.force_login(w.users["district_admin"])
    form = client.get(url).context["form"]
    assert [c[0] for c in form.fields["rule_code"].choices][1:] == ["award", "media_exposure", "safety_accident",
                                                                     "firm_disqualified"]
    data = {"unit": f"district:{w.shanting.pk}", "rule_code": "award", "points": "5", "occurred_on": "2025-03-01",
            "title": "获区级先进单位", "detail": "", "document": document("表彰.pdf")}
    response = client.post(url, data)
    assert response.status_code == 200 and "分值应在 1 至 3 之间，收到 5" in response.content.decode()
    assert not CreditRecord.objects.exists()
    response = client.post(url, {**data, "points": "3", "document": document("表彰.pdf")})
    record = CreditRecord.objects.get()
    assert response.status_code == 302 and record.recorded_by == w.users["district_admin"]
    download = client.get(reverse("enterprises:credit_record_document", args=[record.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    client.force_login(w.users["firm_user2"])
    assert client.get(reverse("enterprises:credit_record_document", args=[record.pk])).status_code == 404


def test_rules_page_and_a_new_version_by_the_city_only(credit_world, client, travel):
    w = credit_world
    client.force_login(w.users["district_admin"])
    html = client.get(reverse("enterprises:credit_rules")).content.decode()
    assert "整改通知逾期未整改" in html and reverse("enterprises:credit_rules_create") not in html
    assert client.get(reverse("enterprises:credit_rules_create")).status_code == 404
    client.force_login(w.users["city_admin"])
    formset = client.get(reverse("enterprises:credit_rules_create")).context["formset"]
    data = {"effective_from": "2026-01-01", "base_score": 80, "good_cap": 20, "level_aaa": 85, "level_aa": 80,
            "level_a": 70, "level_b": 60, "blacklist_score": 70, "objection_days": 5, "inspection_line": 60,
            "note": "", "rules-TOTAL_FORMS": len(formset.forms), "rules-INITIAL_FORMS": len(formset.initial),
            "rules-MIN_NUM_FORMS": 0, "rules-MAX_NUM_FORMS": 1000}
    for i, initial in enumerate(formset.initial):
        for key, value in initial.items():
            if key != "automatic" or value:
                data[f"rules-{i}-{key}"] = value
    data["rules-4-points"] = 3  # the overdue order: bad but positive, outside its range
    response = client.post(reverse("enterprises:credit_rules_create"), data)
    assert response.status_code == 200 and "整改通知逾期未整改：分值 3 不在其上下限 -2 至 -2 之内" in response.content.decode()
    assert CreditPolicy.objects.count() == 1
    data.update({"rules-4-points": -3, "rules-4-points_min": -3, "rules-4-points_max": -3})
    response = client.post(reverse("enterprises:credit_rules_create"), data)
    assert response.status_code == 302
    new = CreditPolicy.objects.get(effective_from=datetime.date(2026, 1, 1))
    assert new.rules.get(code="order_overdue").points == -3 and new.rules.count() == 11


def test_years_pages_city_runs_reviews_publishes(credit_world, client):
    w = credit_world
    bad_record(w, "a", datetime.date(2025, 3, 3))
    client.force_login(w.users["city_admin"])
    with time_machine.travel(at(datetime.date(2026, 1, 6)), tick=False):
        response = client.post(reverse("enterprises:credit_year_run"), {"year": "2025"})
        assert response.status_code == 302
        page = client.get(reverse("enterprises:credit_year", args=[2025]))
        assert [s.score for s in page.context["object_list"]] == [75, 80]
        assert "审核通过" in page.content.decode() and "公布</button>" not in page.content.decode()
        client.post(reverse("enterprises:credit_year_action", args=[2025, "review"]))
        client.post(reverse("enterprises:credit_year_action", args=[2025, "publish"]))
        client.force_login(w.users["firm_user"])
        scores = client.get(reverse("enterprises:credit_year", args=[2025])).context["object_list"]
        assert [(s.firm, s.score) for s in scores] == [(w.firm1, 75)]
        response = client.post(reverse("enterprises:credit_year_action", args=[2025, "publish"]), follow=True)
        assert "已公布" in response.content.decode()
        response = client.post(reverse("enterprises:credit_year_run"), {"year": "2025"}, follow=True)
        assert "只有市级管理员" in response.content.decode()


def test_unpublished_year_is_404_for_all_but_the_city(credit_world, client):
    w = credit_world
    run_year(w, 2025, publish=False)
    client.force_login(w.users["district_admin"])
    assert client.get(reverse("enterprises:credit_year", args=[2025])).status_code == 404
    client.force_login(w.users["city_admin"])
    assert client.get(reverse("enterprises:credit_year", args=[2025])).status_code == 200


def test_letters_are_printed_by_the_listing_district(credit_world, client, travel):
    w = credit_world
    record = credit_record_create(actor=w.users["district_admin"], firm=w.firm1, unit=Unit(w.shanting.pk),
                                  rule_code="safety_accident", points=-10, title="小区发生火灾致人受伤", detail="",
                                  occurred_on=datetime.date(2025, 3, 1), document=document(), now=NOW)
    credit_record_confirm(actor=w.users["district_admin"], record=record, now=NOW)
    entry = BlacklistEntry.objects.get()
    for persona, code in (("district_staff", 200), ("city_admin", 200), ("firm_user", 404), ("street_staff", 404),
                          ("district_admin_gc", 404)):
        client.force_login(w.users[persona])
        assert client.get(reverse("enterprises:credit_blacklist_notice", args=[entry.pk])).status_code == code
    client.force_login(w.users["district_admin"])
    notice = client.get(reverse("enterprises:credit_blacklist_notice", args=[entry.pk])).content.decode()
    assert "市场监督管理局、税务局、政府采购监督管理部门" in notice and w.firm1.credit_code in notice
    assert "山亭区住房保障服务中心" in notice and "2028-03-12" in notice
    letters = client.get(reverse("enterprises:credit_blacklist_letters", args=[entry.pk])).content.decode()
    assert "梅花园业主大会（业主委员会）" in letters and "终止物业服务合同" in letters


# --- public pages ------------------------------------------------------------------------------------------------

def _public_world(w):
    """Firm 甲 with a confirmed record (public), a notified one, a withdrawn one, a repaired one and an
    expired one; a listing; published 2024 and 2025 scores."""
    shown = bad_record(w, "shown", datetime.date(2025, 2, 3))
    pending = bad_record(w, "pending", datetime.date(2025, 3, 3), confirm=False)
    withdrawn = bad_record(w, "withdrawn", datetime.date(2025, 3, 4), confirm=False)
    objection = credit_objection_submit(actor=w.users["firm_user"], record=withdrawn, reason="有误",
                                        now=at(datetime.date(2025, 3, 5)))
    from enterprises.credit.records import credit_objection_decide, credit_record_repair

    credit_objection_decide(actor=w.users["city_admin"], objection=objection, upheld=True, decision="有误",
                            now=at(datetime.date(2025, 3, 6)))
    repaired = bad_record(w, "repaired", datetime.date(2025, 1, 6))
    credit_record_repair(actor=w.users["district_admin"], record=repaired, reason="已整改",
                         now=at(datetime.date(2025, 3, 1)))
    expired = bad_record(w, "expired", datetime.date(2023, 5, 5))
    serious = credit_record_create(actor=w.users["district_admin"], firm=w.firm1, unit=Unit(w.shanting.pk),
                                   rule_code="safety_accident", points=-10, title="地下车库火灾", detail="内部说明：联系人电话",
                                   occurred_on=datetime.date(2025, 2, 1), document=document(),
                                   now=at(datetime.date(2025, 2, 2)))
    credit_record_confirm(actor=w.users["district_admin"], record=serious, now=at(datetime.date(2025, 2, 10)))
    run_year(w, 2024)
    run_year(w, 2025)
    return {"shown": shown, "pending": pending, "withdrawn": withdrawn, "repaired": repaired, "expired": expired,
            "serious": serious}


def test_public_pages_show_only_confirmed_records_in_publication_and_no_person(credit_world, client, travel):
    w = credit_world
    records = _public_world(w)
    firm_page = client.get(reverse("enterprises:public_credit_firm", args=[w.firm1.pk]))
    assert firm_page.status_code == 200
    assert {r.pk for r in firm_page.context["records"]} == {records["shown"].pk, records["serious"].pk}
    html = firm_page.content.decode()
    assert "测试记录 shown" in html and "测试记录 pending" not in html and "测试记录 withdrawn" not in html
    assert "测试记录 repaired" not in html and "测试记录 expired" not in html and "内部说明" not in html
    assert "山亭区住房保障服务中心" in html and "2026-02-03" in html  # deciding unit, end date
    for key in ("pending", "withdrawn", "repaired", "expired"):
        assert client.get(reverse("enterprises:public_credit_record", args=[records[key].pk])).status_code == 404
    assert client.get(reverse("enterprises:public_credit_record", args=[records["shown"].pk])).status_code == 200
    listing = client.get(reverse("enterprises:public_credit"))
    assert listing.context["years"] == [2024, 2025]
    row = next(r for r in listing.context["rows"] if r["firm"] == w.firm1)
    assert [s.score for s in row["scores"]] == [80, 60] and row["listed"]  # 2025: −5 shown, −5 repaired, −10 serious
    blacklist = client.get(reverse("enterprises:public_blacklist")).content.decode()
    assert w.firm1.name in blacklist and "2025-02-10" in blacklist and "2028-02-10" in blacklist
    pages = [listing, firm_page, client.get(reverse("enterprises:public_blacklist")),
             client.get(reverse("enterprises:public_credit_record", args=[records["serious"].pk])),
             client.get(reverse("enterprises:public_credit"), {"q": w.firm1.credit_code})]
    people = [u.full_name for u in w.users.values()] + [u.phone for u in w.users.values() if u.phone]
    for firm in (w.firm1, w.firm2):
        people += [firm.legal_representative, firm.contact_name, firm.contact_phone]
    for response in pages:
        text = response.content.decode()
        for value in filter(None, people):
            assert value not in text


def test_public_pages_need_no_login_and_run_a_fixed_number_of_queries(credit_world, client, travel,
                                                                      django_assert_max_num_queries):
    w = credit_world
    _public_world(w)
    for i in range(12):
        from tests.factories import FirmFactory

        FirmFactory(name=f"公开测试{i}物业服务有限公司")
    with django_assert_max_num_queries(8):
        assert client.get(reverse("enterprises:public_credit")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("enterprises:public_credit_firm", args=[w.firm1.pk])).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("enterprises:public_blacklist")).status_code == 200


def test_credit_list_runs_a_fixed_number_of_queries(credit_world, login, travel, django_assert_max_num_queries):
    w = credit_world
    _public_world(w)
    client = login("district_admin")
    with django_assert_max_num_queries(16):
        assert client.get(reverse("enterprises:credit_list")).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(reverse("enterprises:credit_file", args=[w.firm1.pk])).status_code == 200
