"""The signed-in buyer's saved searches (`/api/saved-searches/`): list, save, toggle email,
delete. Another person's search is a 404, as if it did not exist."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from suppliers.selectors import is_buyer

from ..selectors import saved_search_list
from ..services import saved_search_create, saved_search_delete, saved_search_set_email
from .serializers import (
    SavedSearchCreateSerializer,
    SavedSearchSerializer,
    SavedSearchUpdateSerializer,
)


class SavedSearchListCreate(generics.ListCreateAPIView):
    """Your saved searches, newest first. Saving one (buyers only) checks the query with the
    lot list's own filters: a parameter it would refuse is refused here, with its message."""

    serializer_class = SavedSearchSerializer
    filter_backends = []

    def get_queryset(self):
        return saved_search_list(user=self.request.user)

    @extend_schema(request=SavedSearchCreateSerializer, responses={201: SavedSearchSerializer})
    def post(self, request, *args, **kwargs):
        if not is_buyer(request.user):
            raise PermissionDenied("Only members of a buyer organisation save searches.")
        body = SavedSearchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        search = saved_search_create(user=request.user, **body.validated_data)
        return Response(SavedSearchSerializer(search).data, status=status.HTTP_201_CREATED)


class SavedSearchDetail(generics.RetrieveDestroyAPIView):
    serializer_class = SavedSearchSerializer
    filter_backends = []

    def get_queryset(self):
        return saved_search_list(user=self.request.user)

    @extend_schema(request=SavedSearchUpdateSerializer, responses={200: SavedSearchSerializer})
    def patch(self, request, *args, **kwargs):
        """Turn a search's email notices on or off."""
        search = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        body = SavedSearchUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        search = saved_search_set_email(
            user=request.user, search=search, email=body.validated_data["email"]
        )
        return Response(SavedSearchSerializer(search).data)

    def destroy(self, request, *args, **kwargs):
        search = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        saved_search_delete(user=request.user, search=search)
        return Response(status=status.HTTP_204_NO_CONTENT)
