"""Limits found by the security review (issue 10): a Content-Security-Policy without inline scripts, no
uploaded file served from MEDIA_URL (even with DEBUG=1), the API schema behind login, Chinese API 404s."""
import re
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_page_carries_a_policy_that_allows_only_this_sites_scripts(world, login):
    response = login("street_staff").get(reverse("communities:estate_list"))
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "Content-Security-Policy" in login("street_staff").get(reverse("home")).headers


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{path.name}: {tag}")
        offenders += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+=\"", text)]
    assert offenders == []


@override_settings(DEBUG=True)
def test_media_files_are_not_served_by_url_even_in_debug(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "ratings").mkdir()
    (tmp_path / "ratings" / "evidence.pdf").write_bytes(b"%PDF-1.4 private")
    assert client.get(settings.MEDIA_URL + "ratings/evidence.pdf").status_code == 404


def test_api_schema_needs_a_login(world, client, login):
    assert client.get("/api/schema/").status_code in (401, 403)
    assert login("street_staff").get("/api/schema/").status_code == 200


def test_api_not_found_is_json_in_chinese(world, login):
    client = login("street_staff")
    missing = client.get("/api/estates/999999/")
    assert missing.status_code == 404 and missing.json() == {"detail": "未找到。"}
    other_district = client.get(f"/api/estates/{world.estate_c1.pk}/")  # outside the scope: the same answer
    assert other_district.status_code == 404 and other_district.json() == {"detail": "未找到。"}
    unknown = client.get("/api/no-such-thing/")
    assert unknown.status_code == 404 and unknown.json() == {"detail": "未找到。"}
