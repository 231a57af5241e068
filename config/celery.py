import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
# All Celery settings live in config/settings.py under the CELERY_ prefix,
# including the beat schedule.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="portal.ping")
def ping():
    """Health check: a worker that answers proves the broker round trip."""
    return "pong"
