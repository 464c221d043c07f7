"""The signed-in user's own personal tokens (`/api/tokens/`): list, make, revoke."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from ..authentication import PersonalTokenAuthentication
from ..selectors import token_list_live, token_organisations
from ..services import token_create, token_revoke
from .serializers import (
    PersonalTokenCreatedSerializer,
    PersonalTokenCreateSerializer,
    PersonalTokenSerializer,
)


class TokenListCreate(generics.ListCreateAPIView):
    """Your live tokens, newest first. Making one needs a session or a password (Basic):
    a token cannot make tokens, so a leaked one cannot outlive its own revocation or expiry
    by minting successors."""

    serializer_class = PersonalTokenSerializer
    filter_backends = []

    def get_queryset(self):
        return token_list_live(user=self.request.user)

    @extend_schema(
        request=PersonalTokenCreateSerializer, responses={201: PersonalTokenCreatedSerializer}
    )
    def post(self, request, *args, **kwargs):
        if isinstance(request.successful_authenticator, PersonalTokenAuthentication):
            raise PermissionDenied(
                "A personal token cannot make tokens: sign in (web app or Basic auth) to make one."
            )
        body = PersonalTokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        organisation = self._organisation(data.get("organisation"))
        created = token_create(
            user=request.user,
            name=data["name"],
            organisation=organisation,
            lifetime_days=int(data["lifetime_days"]),
        )
        return Response(
            {**PersonalTokenSerializer(created.token).data, "secret": created.secret},
            status=status.HTTP_201_CREATED,
        )

    def _organisation(self, organisation_id: int | None):
        own = token_organisations(user=self.request.user)
        if organisation_id is None:
            candidates = list(own[:2])
            if len(candidates) != 1:
                raise ValidationError(
                    {"organisation": ["Name the organisation the token acts for (its id)."]}
                )
            return candidates[0]
        organisation = own.filter(pk=organisation_id).first()
        if organisation is None:
            # The same answer whether the organisation exists or not.
            raise ValidationError(
                {
                    "organisation": [
                        f"You are not a member of organisation {organisation_id}: a token "
                        "acts only for your own organisations."
                    ]
                }
            )
        return organisation


class TokenDestroy(generics.DestroyAPIView):
    """Revoke one of your tokens: it stops authenticating at once. Another user's token is a
    404, as if it did not exist."""

    serializer_class = PersonalTokenSerializer
    filter_backends = []

    def get_queryset(self):
        return token_list_live(user=self.request.user)

    def destroy(self, request, *args, **kwargs):
        token = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        token_revoke(user=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
