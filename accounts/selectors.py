from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from suppliers.models import Organisation
from suppliers.selectors import organisations_of

from .models import PersonalToken


def token_list_live(*, user: AbstractBaseUser) -> QuerySet[PersonalToken]:
    """The user's tokens that still authenticate (an expired one is as good as gone), newest
    first. Never anyone else's."""
    if not user.is_authenticated:
        return PersonalToken.objects.none()
    return (
        PersonalToken.objects.filter(user=user)
        .filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))
        .select_related("organisation")
        .order_by("-created", "-id")
    )


def token_organisations(*, user: AbstractBaseUser) -> QuerySet[Organisation]:
    """The organisations a token of this user may act for: the ones the user belongs to."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return organisations_of(user=user).order_by("name")
