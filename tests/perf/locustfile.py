"""Load test on the city data set (issue 10): 50 users for 60 s against gunicorn.

Locust lives in its own virtualenv (it is not a requirement of the portal):

    python3 -m venv /tmp/locust && /tmp/locust/bin/pip install "locust==2.47.*"
    make bench-load            # gunicorn (4 workers) on portal_city, then this file, headless, 50 users, 60 s

or by hand, with the portal served on :8010 from portal_city (tests/perf/build_city.py):

    CITY_PERIOD=<2025Q1 period id of the first district> CITY_BATCH=<its 2025-04 batch id> \\
    /tmp/locust/bin/locust -f tests/perf/locustfile.py --host http://127.0.0.1:8010 \\
        --headless -u 50 -r 10 -t 60s --csv var/locust-city

Each simulated user is one persona (weighted like a district's day: more street and community staff
than administrators, some anonymous visitors of the public page), logs in through the login form with
the demo password (or, with LOCUST_SESSIONS, starts with a session made by bench_sessions.py), then opens that persona's main pages with 1–3 s between clicks. Requests are named
by page, so Locust's table gives p50/p95 per page; the goals are lists p95 ≤ 200 ms, dashboards
p95 ≤ 300 ms (home and the batch page).
"""
import json
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo-2026-portal")
PERIOD = os.environ.get("CITY_PERIOD", "")
BATCH = os.environ.get("CITY_BATCH", "")
# {persona: [session key, …]} from bench_sessions.py: users start logged in (no login storm in the window).
SESSIONS = json.load(open(os.environ["LOCUST_SESSIONS"])) if os.environ.get("LOCUST_SESSIONS") else None


def pages(persona):
    """(name, url) of the persona's pages; the same pages as bench_pages.py."""
    lists = [("estates", "/estates/"), ("inspections", "/inspections/"), ("orders", "/orders/")]
    results = [("rating results", f"/ratings/periods/{PERIOD}/")] if PERIOD else []
    lines = [("batch lines", f"/subsidies/batches/{BATCH}/lines/")] if BATCH else []
    batch = [("batch", f"/subsidies/batches/{BATCH}/")] if BATCH else []
    admin = [("home", "/"), *lists, ("streets", "/streets/"), ("communities", "/communities/"),
             ("firms", "/firms/"), *results, *batch, *lines]
    return {
        "city_admin": [*admin, ("estates p.200", "/estates/?page=200"), ("inspections p.200", "/inspections/?page=200")],
        "district_admin": [*admin, ("estates p.90", "/estates/?page=90")],
        "street_staff": [("home", "/"), *lists, *results, *lines],
        "community_clerk": [("home", "/"), *lists],
        "firm_user": [("home", "/"), *lists, ("my ratings", "/ratings/mine/"), ("my payouts", "/subsidies/mine/")],
        "anonymous": [("public ratings", "/ratings/public/"), ("public ratings p.20", "/ratings/public/?page=20")],
    }[persona]


# persona -> weight (of 12)
PERSONAS = {"city_admin": 1, "district_admin": 2, "street_staff": 3, "community_clerk": 2, "firm_user": 2,
            "anonymous": 2}


class PortalUser(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.persona = random.choices(list(PERSONAS), weights=list(PERSONAS.values()))[0]
        self.pages = pages(self.persona)
        if self.persona == "anonymous":
            return
        if SESSIONS is not None:
            self.client.cookies.set("sessionid", SESSIONS[self.persona].pop())
            return
        form = self.client.get("/accounts/login/", name="login form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        with self.client.post("/accounts/login/", name="login", allow_redirects=False, catch_response=True, data={
                "username": self.persona, "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else ""},
                headers={"Referer": self.host + "/accounts/login/"}) as response:
            if response.status_code != 302:
                response.failure(f"login as {self.persona} failed: {response.status_code}")

    @task
    def open_a_page(self):
        name, url = random.choice(self.pages)
        with self.client.get(url, name=f"{self.persona}: {name}", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            elif "/accounts/login/" in response.url:
                response.failure("logged out")
