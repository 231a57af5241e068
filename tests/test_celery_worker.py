"""A real Celery worker process answers a task sent through Redis.

Runs only where CELERY_BROKER_URL is a Redis URL and CELERY_RESULT_BACKEND is
set (CI: `.ci/run`); the embedded filesystem broker of `make run` is skipped.
"""
import pytest

pytestmark = pytest.mark.celery_worker


def test_real_worker_answers_ping_through_redis(worker_queue):
    from config.celery import app, ping

    assert ping.name == "portal.ping"
    assert not app.conf.task_always_eager
    result = ping.apply_async(queue=worker_queue)
    assert result.get(timeout=60) == "pong"
    assert result.successful()
