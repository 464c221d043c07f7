from django.db import models
from django.db.models.functions import Lower
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from suppliers.models import Organisation

NAME_MAX_LENGTH = 64


class PersonalToken(AbstractAuthToken):
    """A user's named API token, acting for one of the user's organisations.

    Only knox's digest of the secret is stored (SHA-512) with the secret's first characters to
    find candidates; the secret itself is shown once, when the token is made. Revoking deletes
    the row. The row has a plain id of its own so that URLs never carry the digest.
    """

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="personal_tokens"
    )
    # Written at most once a minute (accounts.authentication), so a busy client costs one
    # UPDATE a minute, not one a request.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # Expired tokens are removed before a new one is named (accounts.services), so
            # this holds the name unique among a user's live tokens, whatever its case.
            models.UniqueConstraint(
                models.F("user"), Lower("name"), name="personal_token_name_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="personal_token_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user}, {self.organisation})"
