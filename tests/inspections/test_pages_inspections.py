"""The street clerk's day through the pages: start, score (autosave), submit, correct, photos."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from inspections.models import Inspection, InspectionPhoto, InspectionStatus

from .test_pages_permissions import _media, png, submitted  # noqa: F401  (fixture and helpers)

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def items(rubric):
    return list(rubric.items.order_by("category__order", "order"))


def full_post(rubric, overrides=None, **header):
    """The scoring form as the browser posts it: header fields and every score_/note_ pair."""
    overrides = overrides or {}
    data = {"kind": "regular", "date": TODAY.isoformat(), "inspectors": "张三、李四", "overall_comment": ""}
    data.update(header)
    for item in items(rubric):
        score, note = overrides.get(item.code, (f"{item.max_points.normalize():f}", ""))
        data[f"score_{item.pk}"] = score
        data[f"note_{item.pk}"] = note
    return data


@pytest.fixture
def draft(world, rubric, login):
    client = login("street_staff")
    response = client.post(reverse("inspections:inspection_create", args=[world.estate_a1.pk]),
                           {"kind": "regular", "date": TODAY.isoformat(), "inspectors": "张三、李四"})
    assert response.status_code == 302
    return Inspection.objects.get()


def test_start_page_defaults_to_today_and_the_clerks_name(world, rubric, login):
    response = login("street_staff").get(reverse("inspections:inspection_create", args=[world.estate_a1.pk]))
    form = response.context["form"]
    assert form["date"].value() == TODAY
    assert form["inspectors"].value() == world.users["street_staff"].display_name
    assert "梅花园" in response.content.decode()


def test_starting_an_inspection_redirects_to_the_scoring_form(world, rubric, draft, login):
    assert draft.estate == world.estate_a1 and draft.status == InspectionStatus.DRAFT
    assert draft.scores.count() == rubric.items.count()
    response = login("street_staff").get(reverse("inspections:inspection_edit", args=[draft.pk]))
    html = response.content.decode()
    first = items(rubric)[0]
    assert f'name="score_{first.pk}"' in html and 'inputmode="decimal"' in html and 'step="0.5"' in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    assert "保存草稿" in html and "提交" in html


def test_start_with_a_future_date_shows_the_services_message(world, rubric, login):
    response = login("street_staff").post(
        reverse("inspections:inspection_create", args=[world.estate_a1.pk]),
        {"kind": "regular", "date": (TODAY + datetime.timedelta(days=1)).isoformat(), "inspectors": "张三"})
    assert response.status_code == 200
    assert "检查日期不能晚于今天" in response.content.decode()
    assert not Inspection.objects.exists()


def test_start_without_an_active_rubric_says_so(world, login):
    response = login("street_staff").get(reverse("inspections:inspection_create", args=[world.estate_a1.pk]))
    assert "尚未启用评分细则" in response.content.decode()
    response = login("street_staff").post(reverse("inspections:inspection_create", args=[world.estate_a1.pk]),
                                          {"kind": "regular", "date": TODAY.isoformat(), "inspectors": "张三"})
    assert "尚未启用评分细则" in response.content.decode()
    assert not Inspection.objects.exists()


def test_list_picker_leads_to_the_start_page(world, rubric, login):
    response = login("community_clerk").get(reverse("inspections:inspection_list"), {"new_for": world.estate_a1.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:inspection_create", args=[world.estate_a1.pk])


def test_autosave_stores_scores_and_answers_json(world, rubric, draft, login):
    first, second = items(rubric)[:2]
    response = login("street_staff").post(
        reverse("inspections:inspection_edit", args=[draft.pk]),
        {"kind": "regular", "date": TODAY.isoformat(), "inspectors": "张三、李四",
         f"score_{first.pk}": "3.5", f"note_{first.pk}": "缺值班记录", f"score_{second.pk}": ""},
        HTTP_X_AUTOSAVE="1")
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True and len(data["saved_at"]) == 5 and data["updated_ms"] > 0
    row = draft.scores.get(item=first)
    assert row.score == Decimal("3.5") and row.note == "缺值班记录"
    assert draft.scores.get(item=second).score is None


def test_autosave_with_a_bad_score_keeps_the_db_unchanged_and_names_the_item(world, rubric, draft, login):
    first, second = items(rubric)[:2]
    client = login("street_staff")
    url = reverse("inspections:inspection_edit", args=[draft.pk])
    client.post(url, {f"score_{first.pk}": "2", "inspectors": "张三"}, HTTP_X_AUTOSAVE="1")
    before = list(draft.scores.order_by("pk").values_list("score", "note"))
    response = client.post(url, {"kind": "regular", "date": TODAY.isoformat(), "inspectors": "张三",
                                 f"score_{first.pk}": "3", f"note_{first.pk}": "改了",
                                 f"score_{second.pk}": "5"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == {f"score_{second.pk}": [f"“{second.title}”的得分不能超过该项分值 4.0 分。"]}
    assert list(draft.scores.order_by("pk").values_list("score", "note")) == before


def test_plain_save_with_a_bad_score_redisplays_the_input_with_the_message(world, rubric, draft, login):
    first = items(rubric)[0]
    data = full_post(rubric, {first.code: ("abc", "写错了")})
    response = login("street_staff").post(reverse("inspections:inspection_edit", args=[draft.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    message = f"“{first.title}”的得分“abc”不是数字。"
    assert html.count(message) == 2  # next to the item and at the top
    assert 'value="abc"' in html and "写错了" in html  # nothing the clerk typed is lost
    assert not draft.scores.filter(score__isnull=False).exists()


def test_header_errors_are_shown_and_nothing_is_saved(world, rubric, draft, login):
    data = full_post(rubric, inspectors="")
    response = login("street_staff").post(reverse("inspections:inspection_edit", args=[draft.pk]), data,
                                          HTTP_X_AUTOSAVE="1")
    assert response.status_code == 422 and "inspectors" in response.json()["errors"]
    assert not draft.scores.filter(score__isnull=False).exists()


def test_submit_saves_the_form_and_shows_the_computed_total(world, rubric, draft, login):
    # Worked example: 1.1 (4) -> 3.5, 1.2 (4) -> 0, 2.1 (6) -> 4.5: 100 - 0.5 - 4 - 1.5 = 94.0
    client = login("street_staff")
    data = full_post(rubric, {"1.1": ("3.5", "值班记录缺一天"), "1.2": ("0", "无服务中心"), "2.1": ("4.5", "")})
    response = client.post(reverse("inspections:inspection_submit", args=[draft.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:inspection_detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == InspectionStatus.SUBMITTED and draft.total == Decimal("94.0")
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="inspection-total">94.0<' in html
    assert "值班记录缺一天" in html and "下发整改通知" in html and "更正" in html


def test_submit_with_unscored_items_stays_a_draft_and_says_how_many(world, rubric, draft, login):
    client = login("street_staff")
    first = items(rubric)[0]
    data = full_post(rubric, {first.code: ("", "")})
    response = client.post(reverse("inspections:inspection_submit", args=[draft.pk]), data, follow=True)
    assert "还有 1 项未评分" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == InspectionStatus.DRAFT
    assert draft.scores.filter(score__isnull=False).count() == rubric.items.count() - 1  # the rest was saved


def test_submit_with_a_bad_score_saves_nothing_and_submits_nothing(world, rubric, draft, login):
    first = items(rubric)[0]
    response = login("street_staff").post(reverse("inspections:inspection_submit", args=[draft.pk]),
                                          full_post(rubric, {first.code: ("-1", "")}))
    assert response.status_code == 200
    assert "不能为负数" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == InspectionStatus.DRAFT and not draft.scores.filter(score__isnull=False).exists()


def test_submitted_inspection_cannot_be_edited_through_the_form(world, rubric, login):
    insp = submitted(world, world.estate_a1)
    client = login("street_staff")
    response = client.get(reverse("inspections:inspection_edit", args=[insp.pk]))
    assert response.status_code == 302
    first = items(rubric)[0]
    response = client.post(reverse("inspections:inspection_edit", args=[insp.pk]), {f"score_{first.pk}": "0"},
                           HTTP_X_AUTOSAVE="1")
    assert response.status_code == 409
    assert insp.scores.get(item=first).score == first.max_points


def test_correction_makes_a_draft_copy_and_links_both_ways(world, rubric, login):
    original = submitted(world, world.estate_a1)
    client = login("street_staff")
    response = client.post(reverse("inspections:inspection_correct", args=[original.pk]), {"reason": "1.1 录错"})
    copy = Inspection.objects.get(supersedes=original)
    assert response["Location"] == reverse("inspections:inspection_edit", args=[copy.pk])
    assert copy.correction_reason == "1.1 录错"
    first = items(rubric)[0]
    data = full_post(rubric, {first.code: ("1", "更正后")})
    client.post(reverse("inspections:inspection_submit", args=[copy.pk]), data)
    original.refresh_from_db()
    copy.refresh_from_db()
    assert original.status == InspectionStatus.SUPERSEDED and copy.total == Decimal("97.0")
    html = client.get(reverse("inspections:inspection_detail", args=[original.pk])).content.decode()
    assert reverse("inspections:inspection_detail", args=[copy.pk]) in html and "已被更正" in html
    html = client.get(reverse("inspections:inspection_detail", args=[copy.pk])).content.decode()
    assert reverse("inspections:inspection_detail", args=[original.pk]) in html and "1.1 录错" in html


def test_correction_without_a_reason_is_refused(world, rubric, login):
    original = submitted(world, world.estate_a1)
    response = login("street_staff").post(reverse("inspections:inspection_correct", args=[original.pk]),
                                          {"reason": " "}, follow=True)
    assert "请填写更正原因" in response.content.decode()
    assert not Inspection.objects.filter(supersedes=original).exists()


def test_photo_upload_per_item_answers_json_and_shows_on_the_detail(world, rubric, draft, login):
    client = login("community_clerk")
    first = items(rubric)[0]
    response = client.post(reverse("inspections:inspection_photos", args=[draft.pk]),
                           {"item": first.pk, "images": [png("a.png"), png("b.png", "blue")]},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    photos = response.json()["photos"]
    assert len(photos) == 2 and all(p["url"].startswith("/inspections/photos/") for p in photos)
    assert InspectionPhoto.objects.filter(inspection=draft, item=first).count() == 2
    html = client.get(reverse("inspections:inspection_detail", args=[draft.pk])).content.decode()
    assert photos[0]["url"] in html


def test_photo_that_is_not_an_image_is_refused_with_its_name(world, rubric, draft, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = login("street_staff").post(reverse("inspections:inspection_photos", args=[draft.pk]),
                                          {"images": [bad]}, HTTP_ACCEPT="application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == ["文件“notes.txt”不是图片。"]
    assert not InspectionPhoto.objects.exists()


def test_photos_sent_with_the_plain_form_are_kept(world, rubric, draft, login):
    first = items(rubric)[0]
    data = full_post(rubric)
    data[f"photos_{first.pk}"] = [png()]
    response = login("street_staff").post(reverse("inspections:inspection_edit", args=[draft.pk]), data)
    assert response.status_code == 302
    assert InspectionPhoto.objects.get(inspection=draft).item == first


def test_photo_for_an_item_of_another_rubric_is_refused(world, rubric, draft, login):
    from inspections.models import Rubric

    other = Rubric.objects.exclude(pk=rubric.pk).first().items.first()
    response = login("street_staff").post(reverse("inspections:inspection_photos", args=[draft.pk]),
                                          {"item": other.pk, "images": [png()]}, follow=True)
    assert "检查项目不属于本次评分细则" in response.content.decode()
    assert not InspectionPhoto.objects.exists()


def test_detail_page_clears_the_local_backup_once_submitted(world, rubric, login):
    insp = submitted(world, world.estate_a1)
    html = login("street_staff").get(reverse("inspections:inspection_detail", args=[insp.pk])).content.decode()
    assert f'data-clear-draft="insp-draft-{insp.pk}"' in html  # static/js/portal.js removes it


def test_scoring_form_carries_what_the_script_needs(world, rubric, draft, login):
    html = login("street_staff").get(reverse("inspections:inspection_edit", args=[draft.pk])).content.decode()
    assert f'data-storage-key="insp-draft-{draft.pk}"' in html
    assert 'data-updated-ms="' in html and 'data-server-now-ms="' in html
    assert "js/inspection_form.js" in html


# --- after a refused submit: the unscored items marked, the first one linked and named for the script -------

def test_refused_submit_marks_every_unscored_item_and_points_at_the_first(world, rubric, draft, login):
    client = login("street_staff")
    ordered = items(rubric)
    third, tenth = ordered[2], ordered[9]
    data = full_post(rubric, {third.code: ("", ""), tenth.code: ("", "")})
    response = client.post(reverse("inspections:inspection_submit", args=[draft.pk]), data)
    # Back to the form at the first unscored item, in page order (category, then item).
    assert response.status_code == 302
    assert response["Location"] == (reverse("inspections:inspection_edit", args=[draft.pk])
                                    + f"?missing=1#item-{third.pk}")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "还有 2 项未评分" in html  # the service's message and the page's note
    assert 'data-testid="missing-note"' in html
    assert f'data-first-error="score_{third.pk}"' in html
    assert f'href="#item-{third.pk}" data-testid="first-error-link"' in html
    marked = {row.item.pk for block in page.context["blocks"] for row in block.rows if row.missing}
    assert marked == {third.pk, tenth.pk}
    assert html.count("提交前须为此项评分。") == 2
    assert html.count("is-missing") == 2
    draft.refresh_from_db()
    assert draft.status == InspectionStatus.DRAFT


def test_refused_save_names_the_first_bad_field_in_page_order(world, rubric, draft, login):
    ordered = items(rubric)
    data = full_post(rubric, {ordered[5].code: ("abc", ""), ordered[1].code: ("-1", "")})
    response = login("street_staff").post(reverse("inspections:inspection_edit", args=[draft.pk]), data)
    assert response.status_code == 200
    assert response.context["first_error"] == f"score_{ordered[1].pk}"
    assert response.context["first_error_anchor"] == f"item-{ordered[1].pk}"
    # A header field in error comes before any item.
    data = full_post(rubric, {ordered[1].code: ("-1", "")}, inspectors="")
    response = login("street_staff").post(reverse("inspections:inspection_edit", args=[draft.pk]), data)
    assert response.context["first_error"] == "id_inspectors"


def test_a_plain_visit_marks_nothing(world, rubric, draft, login):
    page = login("street_staff").get(reverse("inspections:inspection_edit", args=[draft.pk]))
    html = page.content.decode()
    assert 'data-first-error=""' in html and 'data-testid="first-error-link"' not in html
    assert "is-missing" not in html and 'data-testid="missing-note"' not in html
    # The shortcut is in the page for the script to show (hidden without it).
    assert 'id="btn-fill-rest"' in html and 'id="fill-rest-bar"' in html
