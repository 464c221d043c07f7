from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied

from suppliers.selectors import is_supplier, pack_model_list
from suppliers.services import pack_model_create

from .serializers import PackModelSerializer


class PackModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PackModelSerializer
    filterset_fields = ["chemistry", "manufacturer"]

    def get_queryset(self):
        return pack_model_list(user=self.request.user)

    def perform_create(self, serializer):
        if not is_supplier(self.request.user):
            raise PermissionDenied("Only suppliers add pack models.")
        serializer.instance = pack_model_create(user=self.request.user, **serializer.validated_data)
