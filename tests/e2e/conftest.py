"""Browser tests: Playwright drives the system Chromium (/usr/bin/chromium).

Never `playwright install`: the download fails on the build machines.
Screenshots of each journey land in test-results/ for a human to look at.
"""
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(exist_ok=True)

    def _shot(page, name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return _shot


@pytest.fixture
def log_in(live_server):
    def _log_in(page, username, password):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

    return _log_in


def search_choose(page, select_id, query, option_text, *, keyboard=False):
    """Pick `option_text` in a type-ahead field (static/js/choices.js): type `query`, wait for the server's
    matches, then click the option (or, with keyboard=True, arrow down to it and press Enter)."""
    control = page.locator(f"#{select_id}-ts-control")
    control.click()
    control.press_sequentially(query, delay=30)
    dropdown = page.locator(f"#{select_id}-ts-dropdown")
    option = dropdown.locator(".option", has_text=option_text)
    option.first.wait_for(state="visible")
    if keyboard:
        active = dropdown.locator(".option.active")
        for _ in range(50):
            if active.count() and option_text in active.first.inner_text():
                break
            control.press("ArrowDown")
        control.press("Enter")
    else:
        option.first.click()
    return option_text
