from complaints.models import Status

from .conftest import at


def test_make_complaint_walks_to_closed(make_complaint):
    c = make_complaint(to=Status.CLOSED, at=at(2026, 12, 1, 9, 0))
    assert c.status == Status.CLOSED
    assert [e.action for e in c.events.all()] == ["receive", "assign", "sign", "answer", "callback", "close"]
