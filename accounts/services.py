"""Personal API tokens: made for one of the user's organisations and shown once, revoked by
deleting them. Both leave an audit entry in the organisation's scope; the secret never does."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from core.errors import ApplicationError
from suppliers.models import Organisation

from .choices import DEFAULT_TOKEN_LIFETIME, TokenLifetime
from .models import NAME_MAX_LENGTH, PersonalToken
from .selectors import token_organisations


@dataclass(frozen=True)
class TokenCreated:
    token: PersonalToken
    # The only copy of the secret: the database keeps its digest.
    secret: str


def organisation_scope(organisation_id: int) -> str:
    return f"organisation:{organisation_id}"


def _token_facts(token: PersonalToken) -> dict:
    return {
        "name": token.name,
        "user": token.user.get_username(),
        "organisation": token.organisation.slug,
        "expiry": token.expiry.isoformat() if token.expiry else None,
    }


@transaction.atomic
def token_create(
    *,
    user: AbstractBaseUser,
    name: str,
    organisation: Organisation,
    lifetime_days: int = DEFAULT_TOKEN_LIFETIME,
) -> TokenCreated:
    name = (name or "").strip()
    if not name:
        raise ApplicationError(
            "Give the token a name that says where it is used, e.g. 'ERP sync'.", field="name"
        )
    if len(name) > NAME_MAX_LENGTH:
        raise ApplicationError(
            f"A token's name has at most {NAME_MAX_LENGTH} characters ({len(name)} given).",
            field="name",
        )
    if not token_organisations(user=user).filter(pk=organisation.pk).exists():
        raise ApplicationError(
            f"You are not a member of {organisation}: a token acts only for your own "
            "organisations.",
            field="organisation",
        )
    if lifetime_days not in TokenLifetime.values:
        allowed = ", ".join(str(days) for days in TokenLifetime.values)
        raise ApplicationError(
            f"A token lives {allowed} days ({lifetime_days} given).", field="lifetime_days"
        )
    # Expired tokens authenticate nothing; removing them frees their names.
    PersonalToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    if PersonalToken.objects.filter(user=user, name__iexact=name).exists():
        raise ApplicationError(
            f"You already have a token named {name!r}: choose another name, or revoke that one.",
            field="name",
        )
    try:
        with transaction.atomic():
            token, secret = PersonalToken.objects.create(
                user=user,
                expiry=timedelta(days=lifetime_days),
                name=name,
                organisation=organisation,
            )
    except IntegrityError as exc:
        # A concurrent request took the name between the check and the insert.
        raise ApplicationError(
            f"You already have a token named {name!r}: choose another name, or revoke that one.",
            field="name",
        ) from exc
    audit_record(
        actor=user,
        action="token.create",
        object_type="personal_token",
        object_id=token.pk,
        after=_token_facts(token),
        scope=organisation_scope(organisation.pk),
    )
    return TokenCreated(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, user: AbstractBaseUser, token: PersonalToken) -> bool:
    """Delete the token; False when it was already gone (a second click, a concurrent revoke),
    which records nothing."""
    if token.user_id != user.pk:
        raise ApplicationError("You can revoke only your own tokens.")
    deleted, _ = PersonalToken.objects.filter(pk=token.pk, user=user).delete()
    if not deleted:
        return False
    audit_record(
        actor=user,
        action="token.revoke",
        object_type="personal_token",
        object_id=token.pk,
        before=_token_facts(token),
        scope=organisation_scope(token.organisation_id),
    )
    return True
