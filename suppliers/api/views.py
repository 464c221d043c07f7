from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from routing.services import lot_split_by_route
from suppliers.filters import LotFilter
from suppliers.selectors import (
    is_supplier,
    lot_list_visible,
    pack_model_list,
    supplier_organisations,
)
from suppliers.services import lot_create, lot_submit, pack_model_create

from .serializers import (
    LotCreateSerializer,
    LotDetailSerializer,
    LotSerializer,
    PackModelSerializer,
)


class LotViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Lots: buyers see verified supply; suppliers also see their own lots in every status."""

    filterset_class = LotFilter

    def get_queryset(self):
        return lot_list_visible(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return LotCreateSerializer
        if self.action == "retrieve":
            return LotDetailSerializer
        return LotSerializer

    @extend_schema(request=LotCreateSerializer, responses={201: LotDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = LotCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        supplier = data.pop("supplier", None)
        if supplier is None:
            own = list(supplier_organisations(user=request.user)[:2])
            if len(own) != 1:
                raise ValidationError(
                    {"supplier": ["Name the supplier organisation this lot belongs to."]}
                )
            supplier = own[0]
        lot = lot_create(user=request.user, supplier=supplier, **data)
        lot = self.get_queryset().get(pk=lot.pk)
        return Response(
            LotDetailSerializer(lot, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={200: LotDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        lot = get_object_or_404(self.get_queryset(), pk=pk)
        lot = lot_submit(user=request.user, lot=lot)
        return Response(LotDetailSerializer(lot, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={201: LotSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="split-by-route")
    def split_by_route(self, request, pk=None):
        """Split a lot whose measured packs fall in several routes into sub-lots by route."""
        lot = get_object_or_404(self.get_queryset(), pk=pk)
        sub_lots = lot_split_by_route(user=request.user, lot=lot)
        return Response(
            LotSerializer(sub_lots, many=True, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class PackModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PackModelSerializer
    filterset_fields = ["chemistry", "manufacturer"]

    def get_queryset(self):
        return pack_model_list()

    def perform_create(self, serializer):
        if not is_supplier(self.request.user):
            raise PermissionDenied("Only suppliers add pack models.")
        serializer.instance = pack_model_create(**serializer.validated_data)
