import pytest

from ops import services


@pytest.fixture(autouse=True)
def _broker_state_reset():
    """Each test starts with no remembered broker failure (the after-commit back-off is per process)."""
    services._broker_down_until = 0.0
    yield
    services._broker_down_until = 0.0


class FakeBroker:
    """Stands in for the broker in the publisher: records what it accepted, or refuses while `down`."""

    def __init__(self):
        self.down = False
        self.accepted = []

    def publish(self, row):
        from kombu.exceptions import OperationalError

        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.accepted.append((row.task, row.args, str(row.task_id)))


@pytest.fixture
def broker(monkeypatch):
    fake = FakeBroker()
    monkeypatch.setattr(services._publisher, "_publish", fake.publish)
    monkeypatch.setattr(services._publisher, "_run_eagerly", fake.publish)
    return fake
