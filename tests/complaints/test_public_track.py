"""The complainant's tracking page: the tracking code and the phone's last four digits show the status and a
public timeline, and nothing personal or internal; a wrong pair gets one generic message."""
import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, Satisfaction, Status
from complaints.services import (
    complaint_answer,
    complaint_assign,
    complaint_callback,
    complaint_close,
    complaint_merge,
    complaint_reopen,
    complaint_sign,
)

from ._public import form_data, jpeg, media, plaque, public_cache, uploaded_jpeg  # noqa: F401 (fixtures)
from .conftest import COMPLAINANT_NAME, at

pytestmark = pytest.mark.django_db
TRACK = reverse("complaints:public_track")
WRONG = "查询码或手机号后四位不正确"


def _submit(w, client, **overrides) -> Complaint:
    assert client.post(w.form_url, form_data(**overrides)).status_code == 302
    return Complaint.objects.latest("pk")


def _track(client, code, digits="5678"):
    return client.post(TRACK, {"code": code, "phone_last4": digits})


def _steps(html):
    """[(label, shown date or 未完成)] of the public timeline."""
    items = re.findall(r'<li class="list-group-item[^"]*">\s*<span>.*?</i> (\S+)</span>\s*<span class="small">([^<]+)</span>',
                       html, flags=re.S)
    return [(label, when.strip()) for label, when in items]


def test_the_complainant_follows_the_order_from_received_to_answered(plaque, client):
    w = plaque
    c = _submit(w, client, photos=[jpeg("现场.jpg")])
    response = _track(client, c.tracking_code)
    assert response.status_code == 200
    html = response.content.decode()
    assert "已受理，等待街道派单" in html
    assert "梅花园" in html and "环境卫生" in html
    received = timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M")
    assert _steps(html) == [("已受理", received), ("已派单", "未完成"), ("已签收", "未完成"),
                            ("已答复", "未完成"), ("已办结", "未完成")]

    clerk, firm = w.users["street_staff"], w.users["firm_user"]
    now = c.received_at
    complaint_assign(actor=clerk, complaint=c, now=now + datetime.timedelta(minutes=5), comment="内部意见：该企业屡次拖延")
    complaint_sign(actor=firm, complaint=c, now=now + datetime.timedelta(minutes=30))
    html = _track(client, c.tracking_code).content.decode()
    assert "物业企业正在办理" in html
    assert [s[0] for s in _steps(html) if s[1] != "未完成"] == ["已受理", "已派单", "已签收"]
    complaint_answer(actor=firm, complaint=c, answer="已安排保洁人员清理楼道，并增加每日巡查。",
                     now=now + datetime.timedelta(hours=3), files=[uploaded_jpeg("清理后.jpg")])
    html = _track(client, c.tracking_code).content.decode()
    assert "物业企业已答复，街道将回访您" in html
    assert "已安排保洁人员清理楼道，并增加每日巡查。" in html
    answered = timezone.localtime(now + datetime.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    assert ("已答复", answered) in _steps(html)

    # Nothing personal or internal: no names, phones, numbers, comments, files or firm.
    c.refresh_from_db()
    for secret in ("业主甲", "13812345678", "1381234", c.number, "内部意见", "现场.jpg", "清理后.jpg", w.firm1.name,
                   clerk.display_name, firm.display_name, "/media/"):
        assert secret not in html, secret


def test_a_closed_order_shows_every_step_with_its_date(plaque, client):
    w = plaque
    c = _submit(w, client)
    clerk, firm, t = w.users["street_staff"], w.users["firm_user"], c.received_at
    complaint_assign(actor=clerk, complaint=c, now=t + datetime.timedelta(minutes=1))
    complaint_sign(actor=firm, complaint=c, now=t + datetime.timedelta(minutes=2))
    complaint_answer(actor=firm, complaint=c, answer="已清理。", now=t + datetime.timedelta(minutes=3))
    complaint_callback(actor=clerk, complaint=c, contacted=True, solved=True, satisfaction=Satisfaction.SATISFIED,
                       comment="业主表示满意", now=t + datetime.timedelta(minutes=4))
    complaint_close(actor=clerk, complaint=c, now=t + datetime.timedelta(minutes=5))
    html = _track(client, c.tracking_code).content.decode()
    assert '<p class="fs-5 fw-semibold mb-1" data-testid="public-status">已办结</p>' in html
    assert all(when != "未完成" for _, when in _steps(html)) and len(_steps(html)) == 5
    assert "已清理。" in html and "业主表示满意" not in html


def test_a_reopened_order_shows_the_new_round(plaque, client):
    w = plaque
    c = _submit(w, client)
    clerk, firm, t = w.users["street_staff"], w.users["firm_user"], c.received_at
    complaint_assign(actor=clerk, complaint=c, now=t + datetime.timedelta(minutes=1))
    complaint_sign(actor=firm, complaint=c, now=t + datetime.timedelta(minutes=2))
    complaint_answer(actor=firm, complaint=c, answer="第一次答复。", now=t + datetime.timedelta(minutes=3))
    complaint_callback(actor=clerk, complaint=c, contacted=True, solved=False,
                       satisfaction=Satisfaction.UNSATISFIED, comment="", now=t + datetime.timedelta(minutes=4))
    complaint_reopen(actor=clerk, complaint=c, reason="业主不满意", now=t + datetime.timedelta(minutes=5))
    html = _track(client, c.tracking_code).content.decode()
    assert "已派给物业企业，等待签收" in html and "重新办理" in html
    assert "第一次答复。" not in html and "业主不满意" not in html
    assert [s[0] for s in _steps(html) if s[1] != "未完成"] == ["已受理", "已派单"]


def test_a_merged_report_follows_its_case(plaque, client, make_complaint):
    w = plaque
    report = _submit(w, client)
    case = make_complaint(to=Status.SIGNED, at=report.received_at + datetime.timedelta(minutes=1))
    complaint_merge(actor=w.users["street_staff"], case=case, reports=[report], comment="同一问题",
                    now=report.received_at + datetime.timedelta(minutes=10))
    html = _track(client, report.tracking_code).content.decode()
    assert "已合并办理" in html and "物业企业正在办理" in html
    assert COMPLAINANT_NAME not in html and "13812340000" not in html  # the case's own complainant


@pytest.mark.parametrize("code, digits", [("right", "0000"), ("right", "1234"), ("ABCDEFGH23", "5678"),
                                          ("other", "5678")])
def test_a_wrong_code_or_wrong_digits_get_one_generic_message(plaque, client, code, digits):
    w = plaque
    mine = _submit(w, client)
    other = _submit(w, client, phone="13900009999", name="业主乙")
    code = {"right": mine.tracking_code, "other": other.tracking_code}.get(code, code)
    response = _track(client, code, digits)
    assert response.status_code == 200
    html = response.content.decode()
    assert WRONG in html and 'data-testid="track-result"' not in html
    assert "梅花园" not in html and "环境卫生" not in html


def test_an_order_without_a_phone_can_never_be_tracked(plaque, client, make_complaint):
    c = make_complaint(complainant_phone="")
    for digits in ("0000", "    "):
        html = _track(client, c.tracking_code, digits).content.decode()
        assert 'data-testid="track-result"' not in html


def test_the_code_is_read_as_typed_on_a_phone(plaque, client):
    c = _submit(plaque, client)
    typed = " " + c.tracking_code.lower()[:5] + "-" + c.tracking_code.lower()[5:] + " "
    html = _track(client, typed, "５６７８").content.decode()
    assert 'data-testid="track-result"' in html


def test_the_tracking_form_is_prefilled_from_the_thank_you_link(plaque, client):
    html = client.get(TRACK, {"code": "ABCDEFGH23"}).content.decode()
    assert 'value="ABCDEFGH23"' in html
    assert client.get(TRACK).status_code == 200


def test_the_tracking_page_is_rate_limited_per_ip(plaque, client, settings):
    settings.COMPLAINT_TRACK_RATE_IP = "20/m"
    c = _submit(plaque, client)
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        statuses = [_track(client, "ABCDEFGH23" if i % 2 else c.tracking_code).status_code for i in range(25)]
    assert statuses[:20] == [200] * 20 and statuses[20:] == [429] * 5
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        response = _track(client, c.tracking_code)
    assert response.status_code == 429 and "查询次数过多" in response.content.decode()
    with time_machine.travel(at(2026, 12, 1, 10, 2), tick=False):  # the next minute
        assert 'data-testid="track-result"' in _track(client, c.tracking_code).content.decode()


def test_a_leaked_codes_digits_cannot_be_tried_out(plaque, client, settings):
    settings.COMPLAINT_TRACK_RATE_IP = "1000/m"
    settings.COMPLAINT_TRACK_RATE_CODE = "10/d"
    c = _submit(plaque, client)
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        for guess in range(10):
            assert WRONG in _track(client, c.tracking_code, f"{guess:04d}").content.decode()
        # Ten wrong answers: the code is closed for the day, even to the right digits.
        response = _track(client, c.tracking_code, "5678")
        assert response.status_code == 429 and "查询次数过多" in response.content.decode()
        # Another code is not affected.
        other = _submit(plaque, client, phone="13900009999")
        assert 'data-testid="track-result"' in _track(client, other.tracking_code, "9999").content.decode()
    with time_machine.travel(at(2026, 12, 3, 10, 0), tick=False):
        assert 'data-testid="track-result"' in _track(client, c.tracking_code, "5678").content.decode()


def test_the_refresh_button_posts_the_code_and_digits_again(plaque, client):
    c = _submit(plaque, client)
    form = _track(client, c.tracking_code).context["form"]
    # 刷新进度 re-posts what the form holds: both fields are filled, so the refresh shows the status again.
    again = _track(client, form["code"].value(), form["phone_last4"].value())
    assert again.status_code == 200 and "已受理，等待街道派单" in again.content.decode()
