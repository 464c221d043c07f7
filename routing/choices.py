from django.db import models


class RouteChoice(models.TextChoices):
    REUSE_ESS = "reuse-ESS", "reuse-ESS"
    SMALL_APPLICATION = "small-application", "small-application"
    RECYCLE = "recycle", "recycle"
    HOLD = "hold", "hold for audit"


class RerouteJobStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a worker"
    RUNNING = "running", "Re-routing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
