"""The idle logout without a session write per request, and gzip for text pages only."""
import datetime
import gzip

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _session_writes(client, path="/"):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in ctx.captured_queries
            if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_page_views_within_a_minute_do_not_write_the_session(login):
    with time_machine.travel(START, tick=False) as clock:
        client = login("street_staff")
        client.get("/")  # the first view after login stamps the session once
        first = _expiry(client)
        for seconds in (10, 30, 59):
            clock.move_to(START + datetime.timedelta(seconds=seconds))
            assert _session_writes(client) == []
        assert _expiry(client) == first
        clock.move_to(START + datetime.timedelta(seconds=61))
        assert len(_session_writes(client)) == 1
        assert _expiry(client) == first + datetime.timedelta(seconds=61)


def test_thirty_idle_minutes_log_out_but_activity_keeps_the_session(login):
    with time_machine.travel(START, tick=False) as clock:
        client = login("street_staff")
        client.get("/")
        # Active every 20 minutes for an hour: still logged in (each view moves the expiry on).
        for minutes in (20, 40, 60):
            clock.move_to(START + datetime.timedelta(minutes=minutes))
            assert client.get("/").status_code == 200
        clock.move_to(START + datetime.timedelta(minutes=60 + 31))
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_anonymous_visits_create_no_session(client):
    assert client.get("/ratings/public/").status_code == 200
    assert Session.objects.count() == 0


def test_html_is_gzipped_for_clients_that_accept_it(login):
    client = login("street_staff")
    response = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert "您好" in gzip.decompress(response.content).decode()
    assert not client.get("/").has_header("Content-Encoding")  # a client that does not ask gets plain HTML


def test_excel_exports_are_not_gzipped_again(login):
    response = login("street_staff").get("/estates/", {"export": "xlsx"}, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
