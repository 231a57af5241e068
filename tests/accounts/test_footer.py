"""The footer names the issuing authority (settings PORTAL_*) on every page, and the favicon is served."""
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db

AUTHORITY = "示例市住房和城乡建设局"
CONTACT = "0632-12345678"
ICP = "示ICP备12345678号"


def _footer(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<footer class="portal-footer')
    return html[start:html.index("</footer>", start)]


@pytest.fixture
def city(settings):
    settings.PORTAL_AUTHORITY = AUTHORITY
    settings.PORTAL_AUTHORITY_CONTACT = CONTACT
    settings.PORTAL_ICP = ICP


@pytest.fixture
def defaults(settings):
    settings.PORTAL_AUTHORITY = ""
    settings.PORTAL_AUTHORITY_CONTACT = ""
    settings.PORTAL_ICP = ""


def _pages(client, login):
    """The login page (anonymous), two public pages (anonymous) and the home page (signed in)."""
    yield "login", client.get(reverse("accounts:login"))
    yield "complaint tracking", client.get(reverse("complaints:public_track"))
    yield "public ratings", client.get(reverse("ratings:public_list"))
    yield "home", login("street_staff").get(reverse("home"))


def test_footer_shows_the_configured_authority_contact_and_icp(client, login, city):
    for page, response in _pages(client, login):
        footer = _footer(response)
        assert AUTHORITY in footer, page
        assert f"联系方式：{CONTACT}" in footer, page
        assert ICP in footer and 'href="https://beian.miit.gov.cn/"' in footer, page
        assert "物业管理监管平台" not in footer, page


def test_footer_with_defaults_shows_the_portal_name_and_no_empty_line(client, login, defaults):
    for page, response in _pages(client, login):
        footer = _footer(response)
        assert "物业管理监管平台" in footer, page
        assert "联系方式" not in footer, page
        assert "beian" not in footer, page
        assert "<div></div>" not in footer.replace(" ", "").replace("\n", ""), page


def test_blank_values_count_as_unset(client, settings):
    settings.PORTAL_AUTHORITY = "  "
    settings.PORTAL_AUTHORITY_CONTACT = " "
    settings.PORTAL_ICP = ""
    footer = _footer(client.get(reverse("accounts:login")))
    assert "物业管理监管平台" in footer
    assert "联系方式" not in footer


def test_favicon_is_linked_and_exists(client, login):
    href = static("img/favicon.svg")
    link = f'<link rel="icon" href="{href}" type="image/svg+xml">'
    for page, response in _pages(client, login):
        assert link in response.content.decode(), page
        assert 'href="data:,"' not in response.content.decode(), page
    path = finders.find("img/favicon.svg")
    assert path is not None
    svg = Path(path).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "#1f4e79" in svg
    # Written by hand: nothing it references from elsewhere.
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert Path(django_settings.BASE_DIR, "static", "img", "favicon.svg").is_file()
