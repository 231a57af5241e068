"""Page timings on the city data set (issue 10): p50 / p95 and query counts of the main pages per persona.

    make bench-data                      # once: tests/perf/build_city.py into portal_city
    make bench-pages                     # or:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city .venv/bin/python tests/perf/bench_pages.py

In-process, through Django's test client (no network, one request at a time), with DEBUG off: the time
is the server's own (middleware, views, queries, templates). Each page is requested twice to warm up,
then BENCH_REQUESTS times (default 30); one more request counts its queries. The goals stand beside
each line: lists p95 ≤ 200 ms, dashboards p95 ≤ 300 ms. Under load (50 users, gunicorn) see locustfile.py.
"""
import logging
import os
import statistics
import sys
import time

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_city")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-pages-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")

from _setup import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
GOALS = {"list": 200, "dashboard": 300}  # p95 in ms


def city_ids():
    from communities.models import District
    from ratings.models import RatingPeriod
    from subsidies.models import PayoutBatch

    district = District.objects.order_by("pk").first()
    period = RatingPeriod.objects.get(district=district, year=2025, quarter=1)
    batch = PayoutBatch.objects.filter(district=district).order_by("-month").first()
    return {"period": period.pk, "batch": batch.pk}


def pages(ids):
    """persona -> [(label, url, kind)]. Deep pages sit near the end of each persona's list."""
    period, batch = ids["period"], ids["batch"]
    lists = [
        ("estates", "/estates/", "list"),
        ("inspections", "/inspections/", "list"),
        ("orders", "/orders/", "list"),
    ]
    admin = [
        ("home", "/", "dashboard"),
        *lists,
        ("streets", "/streets/", "list"),
        ("communities", "/communities/", "list"),
        ("firms", "/firms/", "list"),
        ("rating results", f"/ratings/periods/{period}/", "list"),
        ("batch", f"/subsidies/batches/{batch}/", "dashboard"),
        ("batch lines", f"/subsidies/batches/{batch}/lines/", "list"),
    ]
    return {
        "city_admin": [*admin, ("estates p.200", "/estates/?page=200", "list"),
                       ("inspections p.200", "/inspections/?page=200", "list"),
                       ("estates by area", "/estates/?sort=-area", "list")],
        "district_admin": [*admin, ("estates p.90", "/estates/?page=90", "list"),
                           ("batch lines p.200", f"/subsidies/batches/{batch}/lines/?page=200", "list")],
        "street_staff": [("home", "/", "dashboard"), *lists, ("rating results", f"/ratings/periods/{period}/", "list"),
                         ("batch lines", f"/subsidies/batches/{batch}/lines/", "list")],
        "community_clerk": [("home", "/", "dashboard"), *lists],
        "firm_user": [("home", "/", "dashboard"), *lists, ("my ratings", "/ratings/mine/", "list"),
                      ("my payouts", "/subsidies/mine/", "list")],
        "anonymous": [("public ratings", "/ratings/public/", "list"),
                      ("public ratings p.50", "/ratings/public/?page=50", "list")],
    }


def measure(client, url):
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, len(ctx.captured_queries)


def main():
    from accounts.models import User

    logging.getLogger("axes").setLevel(logging.WARNING)  # force_login is not news
    if connection.vendor != "postgresql":
        sys.exit("The page benchmark reads the city data set on PostgreSQL (tests/perf/build_city.py).")
    only = set(sys.argv[1:])
    ids = city_ids()
    missed = 0
    print(f"{connection.settings_dict['NAME']}: {REQUESTS} requests per page after 2 warm-ups, test client, DEBUG off")
    print(f"{'persona':16} {'page':20} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}  goal (p95)")
    for persona, plist in pages(ids).items():
        if only and persona not in only:
            continue
        client = Client()
        if persona != "anonymous":
            client.force_login(User.objects.get(username=persona))
        for label, url, kind in plist:
            p50, p95, queries = measure(client, url)
            goal = GOALS[kind]
            ok = p95 <= goal
            missed += not ok
            print(f"{persona:16} {label:20} {p50:8.1f} {p95:8.1f} {queries:8d}  ≤ {goal} ms {kind}"
                  f"{'' if ok else '   MISSED'}", flush=True)
    print(f"pages over their goal: {missed}")


if __name__ == "__main__":
    main()
