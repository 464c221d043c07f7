import os

from celery import Celery

from .heartbeat import HeartbeatStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("secondlife")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each worker tells /readyz it is alive and consuming (config/heartbeat.py).
app.steps["consumer"].add(HeartbeatStep)
