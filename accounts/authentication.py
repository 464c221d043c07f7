"""API authentication by personal token: `Authorization: Token slm_...`.

knox's TokenAuthentication finds the token by its first characters and compares SHA-512
digests in constant time; this subclass adds what a personal token means here: it acts for one
organisation and stops working the moment its user is no longer a member of it, and it notes
when it was last used.
"""

from datetime import datetime, timedelta
from hmac import compare_digest

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from suppliers.models import Membership
from suppliers.selectors import ACTING_FOR

from .models import PersonalToken

# A token used all day long is written once a minute, not once a request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class PersonalTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token: bytes) -> tuple:
        try:
            secret = token.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        # One query: the candidates with their user and whether the membership still stands.
        candidates = (
            PersonalToken.objects.filter(token_key=secret[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user", "organisation")
            .annotate(
                member=Exists(
                    Membership.objects.filter(
                        user_id=OuterRef("user_id"), organisation_id=OuterRef("organisation_id")
                    )
                )
            )
        )
        digest = hash_token(secret)
        for candidate in candidates:
            if compare_digest(digest, candidate.digest):
                return self.accept(candidate)
        raise exceptions.AuthenticationFailed("Invalid token.")

    def accept(self, token: PersonalToken) -> tuple:
        now = timezone.now()
        if token.expiry is not None and token.expiry <= now:
            raise exceptions.AuthenticationFailed("This token has expired: make a new one.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if not token.member:
            raise exceptions.AuthenticationFailed(
                f"This token acts for {token.organisation}, and its user is no longer a member."
            )
        if token.last_used_at is None or token.last_used_at <= now - LAST_USED_RESOLUTION:
            self.note_use(token, now)
        # From here on the request reaches this organisation's lots, packs, files and
        # documents alone, whatever else its user belongs to (suppliers.selectors).
        setattr(token.user, ACTING_FOR, token.organisation_id)
        return token.user, token

    @staticmethod
    def note_use(token: PersonalToken, now: datetime) -> None:
        """Compare-and-set, skipping a locked row: a request with an Idempotency-Key runs in
        one transaction (config.middleware), so its UPDATE holds the token's row until it
        ends, and a plain UPDATE would make every concurrent request with the same token wait
        for it. They skip the note instead; the holder has written it."""
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        with transaction.atomic():
            claimable = (
                PersonalToken.objects.filter(stale, pk=token.pk)
                .select_for_update(skip_locked=True)
                .values("pk")
            )
            PersonalToken.objects.filter(pk__in=claimable).update(last_used_at=now)
