"""Swagger UI and Redoc really render in a browser under the portal's Content-Security-Policy, with every file
from this site (the docs pages' unit tests only read the HTML)."""
import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}


# Redoc's bundle always renders a small logo from its vendor's CDN (no setting turns it off): the CSP blocks it,
# so the browser never fetches it, and Redoc hides the image. It is the one refusal expected on these pages.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _refusals(problems):
    return [p for p in problems if ("Content Security Policy" in p or "Refused" in p) and REDOC_LOGO not in p]


def _watch(page, live_server):
    problems, foreign = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url)
            if not r.url.startswith((live_server.url, "data:", "blob:")) else None)
    return problems, foreign


def _log_in(page, live_server, world):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "city_admin")
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_swagger_ui_renders_the_v1_operations_under_the_csp(page, live_server, world):
    _log_in(page, live_server, world)
    problems, foreign = _watch(page, live_server)
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.locator(".opblock-summary-path", has_text="/api/v1/estates/").first.wait_for(timeout=20_000)
    assert not _refusals(problems), problems
    assert [url for url in foreign if url != REDOC_LOGO] == []


def test_redoc_renders_the_v1_operations_under_the_csp(page, live_server, world):
    _log_in(page, live_server, world)
    problems, foreign = _watch(page, live_server)
    page.goto(f"{live_server.url}/api/v1/redoc/")
    page.get_by_text("/api/v1/estates/").first.wait_for(timeout=30_000)
    page.locator('input[placeholder="Search..."]').fill("estates")  # the search worker answers
    page.locator('[role="search"] li, [data-role="search:results"] li').first.wait_for(timeout=10_000)
    assert not _refusals(problems), problems
    assert [url for url in foreign if url != REDOC_LOGO] == []
