from django.db import models


class LotEvent(models.TextChoices):
    """What buyers are told about a lot they may browse (saved searches match on these)."""

    VERIFIED = "verified", "Newly verified"
    REROUTED = "rerouted", "Re-routed"
