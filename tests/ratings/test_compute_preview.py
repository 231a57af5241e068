"""Rules before work (issue 15): computing a quarter shows a preview first (the participating estates with
and without inspections in the quarter) and needs an explicit confirmation when more than half have none;
the service refuses without it too. A quarter not over, or a period already announced, shows the computing
button disabled with the reason.

The world: 山亭区 accepted 2025 applications for 梅花园 (山城街道, 3 inspections in 2025Q1), 北庄花园
(北庄街道) and 锦绣花园 (山城街道), the last two never inspected: 2 of 3 have none.
"""
import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ratings.models import PeriodAction, PeriodStatus, RatingPeriod, StarRating
from ratings.services.periods import period_preview, period_run

from ._pages import RUN_DAY, at, media, rated  # noqa: F401 (fixtures)
from .conftest import accept, components, inspected, moment

pytestmark = pytest.mark.django_db
RUN = reverse("ratings:period_run")
CONFIRM = "我已知晓多数小区本季度无检查记录，仍要计算"


@pytest.fixture
def mostly_uninspected(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    accept(w, w.estate_b1)
    accept(w, w.estate_a2, firm=w.firm1)
    inspected(w, w.estate_a1, ["90.5", "88.0", "87.5"])
    components(w, w.estate_a1, "90", "90")
    return w


def _names(estates):
    return [(e.name, e.inspection_count) for e in estates]


def test_preview_lists_estates_with_and_without_inspections(mostly_uninspected):
    w = mostly_uninspected
    preview = period_preview(user=w.users["district_admin"], district=w.shanting, year=2025, quarter=1,
                             today=RUN_DAY)
    assert (preview.start, preview.end) == (datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
    assert _names(preview.inspected) == [("梅花园", 3)]
    # By street name, then estate name: 北庄街道 before 山城街道.
    assert _names(preview.uninspected) == [("北庄花园", 0), ("锦绣花园", 0)]
    assert preview.total == 3 and preview.needs_confirmation is True
    assert preview.period is None and preview.refusal is None
    assert not RatingPeriod.objects.exists()  # a preview writes nothing


def test_the_service_refuses_without_the_confirmation_and_writes_nothing(mostly_uninspected):
    w = mostly_uninspected
    with pytest.raises(ValidationError) as refused:
        period_run(actor=w.users["district_admin"], district=w.shanting, year=2025, quarter=1, today=RUN_DAY,
                   now=moment(RUN_DAY))
    assert refused.value.message_dict["confirm"] == [
        f"2025Q1 的 3 个参评小区中有 2 个本季度没有检查记录，计算后将显示为“未评星”。如确需计算，请勾选“{CONFIRM}”后再提交。"]
    assert not RatingPeriod.objects.exists() and not StarRating.objects.exists()

    period = period_run(actor=w.users["district_admin"], district=w.shanting, year=2025, quarter=1,
                        today=RUN_DAY, now=moment(RUN_DAY), confirmed=True)
    assert period.status == PeriodStatus.PROVISIONAL
    assert sorted(StarRating.objects.filter(period=period).values_list("estate__name", "no_tier_reason")) == [
        ("北庄花园", "no_inspection"), ("梅花园", ""), ("锦绣花园", "no_inspection")]
    [event] = period.events.all()
    assert (event.action, event.actor, event.comment) == (
        PeriodAction.COMPUTE, w.users["district_admin"], "已确认：3 个参评小区中有 2 个本季度没有检查记录。")


def test_exactly_half_without_inspections_needs_no_confirmation(rating_world):
    """"Most" is more than half: 1 of 2 uninspected computes at once, and the timeline notes nothing."""
    w = rating_world
    accept(w, w.estate_a1)
    accept(w, w.estate_b1)
    inspected(w, w.estate_a1, ["88.0"])
    preview = period_preview(user=w.users["district_admin"], district=w.shanting, year=2025, quarter=1,
                             today=RUN_DAY)
    assert (len(preview.inspected), len(preview.uninspected), preview.needs_confirmation) == (1, 1, False)
    period = period_run(actor=w.users["district_admin"], district=w.shanting, year=2025, quarter=1,
                        today=RUN_DAY, now=moment(RUN_DAY))
    assert period.ratings.count() == 2 and period.events.get().comment == ""


def test_inspections_outside_the_quarter_do_not_count(mostly_uninspected):
    w = mostly_uninspected
    inspected(w, w.estate_b1, ["80.0"], day=datetime.date(2025, 4, 2))  # 2025Q2
    inspected(w, w.estate_a2, ["80.0"], day=datetime.date(2024, 12, 31))  # 2024Q4
    preview = period_preview(user=w.users["district_admin"], district=w.shanting, year=2025, quarter=1,
                             today=RUN_DAY)
    assert _names(preview.uninspected) == [("北庄花园", 0), ("锦绣花园", 0)] and preview.needs_confirmation


def test_run_page_shows_the_preview_before_the_button(mostly_uninspected, login):
    w = mostly_uninspected
    with at(RUN_DAY):
        response = login("district_admin").get(RUN)  # the quarter just ended, the admin's district
    html = response.content.decode()
    preview = html.split('id="preview"')[1]
    assert "山亭区 2025 年第 1 季度（2025-01-01 至 2025-03-31）计算预览" in preview
    assert "参评小区（2025 年度已受理申报）3 个：本季度有检查记录 <strong>1</strong> 个，无检查记录 <strong>2</strong> 个。" in preview
    inspected_list = preview.split('id="preview-inspected"')[1].split("</details>")[0]
    uninspected_list = preview.split('id="preview-uninspected"')[1].split("</details>")[0]
    assert "梅花园" in inspected_list and "3 次检查" in inspected_list and "北庄花园" not in inspected_list
    assert "北庄花园" in uninspected_list and "锦绣花园" in uninspected_list and "梅花园" not in uninspected_list
    assert "多数参评小区（2 / 3）本季度没有检查记录" in preview
    # The warning and the confirmation box come before the button, inside the form that computes.
    run_form = preview.split('id="run-form"')[1].split("</form>")[0]
    assert run_form.index(CONFIRM) < run_form.index("计算</button>")
    assert re.search(r'<input class="form-check-input" type="checkbox" name="confirm" id="id_confirm"', run_form)
    assert 'value="%d"' % w.shanting.pk in run_form


def test_run_page_refuses_without_the_box_and_computes_with_it(mostly_uninspected, login):
    w = mostly_uninspected
    client = login("district_admin")
    data = {"district": w.shanting.pk, "year": 2025, "quarter": 1}
    with at(RUN_DAY):
        refused = client.post(RUN, data)
        assert refused.status_code == 200
        html = refused.content.decode()
        assert 'id="id_confirm_errors"' in html and "3 个参评小区中有 2 个本季度没有检查记录" in html
        assert 'id="preview"' in html  # the preview is shown again beside the error
        assert not RatingPeriod.objects.exists()
        done = client.post(RUN, {**data, "confirm": "on"})
    period = RatingPeriod.objects.get(district=w.shanting, year=2025, quarter=1)
    assert done.status_code == 302 and done["Location"] == reverse("ratings:period_detail", args=[period.pk])
    assert period.ratings.count() == 3


def test_a_quarter_not_over_shows_the_button_disabled_with_the_reason(mostly_uninspected, login):
    w = mostly_uninspected
    with at(datetime.date(2025, 6, 30)):  # 2025Q2's last day: not over yet
        html = login("district_admin").get(RUN, {"district": w.shanting.pk, "year": 2025, "quarter": 2}
                                           ).content.decode()
    run_form = html.split('id="run-form"')[1].split("</form>")[0]
    assert re.search(r'<button class="btn btn-primary" type="button" disabled[^>]*id="run-disabled"', run_form)
    assert "暂不能计算：2025Q2 尚未结束，不能评定。" in run_form
    assert 'type="submit"' not in run_form and 'name="confirm"' not in run_form
    with at(datetime.date(2025, 7, 1)):  # the day after: allowed (Q2 had no inspection: the box is asked for)
        html = login("district_admin").get(RUN, {"district": w.shanting.pk, "year": 2025, "quarter": 2}
                                           ).content.decode()
    run_form = html.split('id="run-form"')[1].split("</form>")[0]
    assert 'type="submit"' in run_form and "暂不能计算" not in run_form and 'name="confirm"' in run_form


def test_an_announced_period_shows_why_it_cannot_be_computed_here(rated, login):
    w = rated
    with at(RUN_DAY):
        html = login("district_admin").get(RUN, {"district": w.shanting.pk, "year": 2025, "quarter": 1}
                                           ).content.decode()
    preview = html.split('id="preview"')[1]
    assert "本期当前状态" in preview and "公示中" in preview
    assert "暂不能计算：2025Q1 评定结果已于 2025-04-06 公示，不能直接重新计算" in preview
    assert 'id="run-disabled"' in preview


def test_the_periods_list_offers_the_preview_not_a_direct_computation(mostly_uninspected, login):
    with at(RUN_DAY):
        html = login("district_admin").get(reverse("ratings:period_list")).content.decode()
    form = re.search(r'<form method="(\w+)" action="%s"' % re.escape(RUN), html)
    assert form and form.group(1) == "get"
    assert "预览并计算" in html
    assert not RatingPeriod.objects.exists()
