from django.db import models


class TokenLifetime(models.IntegerChoices):
    """How long a personal token lives, in days. No token lives for ever: a forgotten secret in
    an old script stops working on its own."""

    DAYS_7 = 7, "7 days"
    DAYS_30 = 30, "30 days"
    DAYS_90 = 90, "90 days"
    DAYS_365 = 365, "1 year"


DEFAULT_TOKEN_LIFETIME = TokenLifetime.DAYS_90
