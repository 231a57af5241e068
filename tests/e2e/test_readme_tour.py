"""The README tour's first step in a real browser: after `seed_demo`, a newcomer opens the login page, logs in
as street_staff with the password the README gives, and lands on 首页 with the figures the README quotes;
on a phone the bell stays beside the menu button. The rest of the tour is walked with the test client on
three days (tests/test_readme_tour.py). Screenshot: test-results/readme-tour-01-home.png."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

README = re.sub(r"\s+", " ", (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8"))


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("seed_demo", verbosity=0)


def test_a_newcomer_logs_in_with_the_readme_password_and_sees_the_quoted_figures(page, live_server, demo, shot):
    password = re.search(r"Every demo account's password is \*\*`([^`]+)`\*\*", README).group(1)
    assert "首页 shows coverage 48.8 % (20 of 41 estates managed, target 100 %) and committee formation 68.3 %" \
        in README
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", "street_staff")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    main = page.locator("main").inner_text()
    assert "48.8%" in main and "20 / 41" in main and "68.3%" in main
    assert page.get_by_test_id("notification-bell").is_visible()
    shot(page, "readme-tour-01-home")
