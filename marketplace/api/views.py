from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from suppliers.api.serializers import (
    LotCreateSerializer,
    LotUpdateSerializer,
    PackModelSerializer,
    PacksAddSerializer,
)
from suppliers.models import Organisation, Pack
from suppliers.selectors import (
    SUPPLIER_KINDS,
    acting_supplier,
    is_auditor,
    lot_can_manage,
    pack_list_manageable,
    pack_model_list,
)
from verification.api.serializers import (
    TestRecordSerializer,
    TestRecordUploadedSerializer,
    TestRecordUploadSerializer,
)
from verification.models import TestRecord
from verification.services import AlreadyUploaded
from verification.views import upload_too_large

from ..filters import LotFilter
from ..listing_cache import listing_cache_seconds, listing_key, listing_version
from ..scorecards import scorecard_access, scorecard_current, scorecard_data, scorecard_view
from ..selectors import lot_audit_trail, lots_listed, lots_listed_alike, lots_visible
from ..services import (
    lot_create,
    lot_packs_add,
    lot_packs_remove,
    lot_recall,
    lot_split_by_route,
    lot_submit,
    lot_update,
    lot_withdraw,
    pack_model_approve,
    test_data_upload,
)
from .pagination import LotKeysetPagination
from .serializers import (
    AuditEntrySerializer,
    LotDetailSerializer,
    LotSerializer,
    PackModelApproveSerializer,
    ScorecardSerializer,
    WithdrawSerializer,
)


class LotViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Lots: buyers see verified supply; suppliers also see their own lots in every status."""

    filterset_class = LotFilter

    @property
    def paginator(self):
        # The lot list pages by cursor; the other lists here (a lot's audit trail) by number.
        if not hasattr(self, "_paginator"):
            self._paginator = (
                LotKeysetPagination() if self.action == "list" else PageNumberPagination()
            )
        return self._paginator

    def get_queryset(self):
        if self.action == "list":
            return lots_listed(user=self.request.user, alike=getattr(self, "listed_alike", None))
        return lots_visible(user=self.request.user).select_related("summary")

    def filter_queryset(self, queryset):
        # The filters choose which lots a list shows; a lot asked for by its id is found
        # whatever its route (a recycling lot's page opens from the recyclers' list).
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        """A buyer's list comes from the shared cache when another buyer asked the same
        (marketplace.listing_cache); suppliers and auditors, listed their own, never do."""
        seconds = listing_cache_seconds()
        self.listed_alike = lots_listed_alike(user=request.user)
        shared = seconds > 0 and request.accepted_renderer.format == "json" and self.listed_alike
        if not shared:
            return super().list(request, *args, **kwargs)
        key = listing_key(version=listing_version(), path=request.build_absolute_uri())
        body = cache.get(key)
        if body is not None:
            return HttpResponse(body, content_type=request.accepted_renderer.media_type)
        response = super().list(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            response.add_post_render_callback(lambda done: cache.set(key, done.content, seconds))
        return response

    def get_serializer_class(self):
        if self.action == "create":
            return LotCreateSerializer
        if self.action == "retrieve":
            return LotDetailSerializer
        if self.action == "audit":
            return AuditEntrySerializer
        return LotSerializer

    def _detail(self, lot, *, code: int = status.HTTP_200_OK) -> Response:
        lot = self.get_queryset().get(pk=lot.pk)
        return Response(
            LotDetailSerializer(lot, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(request=LotCreateSerializer, responses={201: LotDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = LotCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        supplier = acting_supplier(
            user=request.user, supplier=data.pop("supplier", None), doing="list lots"
        )
        lot = lot_create(user=request.user, supplier=supplier, **data)
        return self._detail(lot, code=status.HTTP_201_CREATED)

    @extend_schema(request=LotUpdateSerializer, responses={200: LotDetailSerializer})
    def partial_update(self, request, pk=None):
        """Change a draft's own fields (any subset); after submission a lot changes only by
        recall or withdrawal."""
        lot = get_object_or_404(self.get_queryset(), pk=pk)
        body = LotUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return self._detail(lot_update(user=request.user, lot=lot, **body.validated_data))

    @extend_schema(request=PacksAddSerializer, responses={201: LotDetailSerializer})
    @action(detail=True, methods=["post"], url_path="packs")
    def packs_add(self, request, pk=None):
        """Add packs to a draft, within its quantity."""
        lot = get_object_or_404(self.get_queryset(), pk=pk)
        body = PacksAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lot = lot_packs_add(user=request.user, lot=lot, packs=body.validated_data["packs"])
        return self._detail(lot, code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: LotDetailSerializer})
    @action(detail=True, methods=["delete"], url_path=r"packs/(?P<pack_id>\d+)")
    def pack_remove(self, request, pk=None, pack_id=None):
        """Remove a pack from a draft; a pack with uploaded test data stays."""
        lot = get_object_or_404(self.get_queryset(), pk=pk)
        return self._detail(lot_packs_remove(user=request.user, lot=lot, pack_ids=[int(pack_id)]))

    @extend_schema(request=WithdrawSerializer, responses={200: LotDetailSerializer})
    @action(detail=True, methods=["post"])
    def recall(self, request, pk=None):
        """Take a submitted lot back to draft, before any data moved it (administrators)."""
        lot = get_object_or_404(self.get_queryset(), pk=pk)
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._detail(
            lot_recall(user=request.user, lot=lot, reason=body.validated_data["reason"])
        )

    @extend_schema(request=None, responses={200: LotDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        lot = get_object_or_404(self.get_queryset(), pk=pk)
        return self._detail(lot_submit(user=request.user, lot=lot))

    @extend_schema(request=WithdrawSerializer, responses={200: LotDetailSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        lot = get_object_or_404(self.get_queryset(), pk=pk)
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._detail(
            lot_withdraw(user=request.user, lot=lot, reason=body.validated_data["reason"])
        )

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

    @extend_schema(responses={200: AuditEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def audit(self, request, pk=None):
        """The lot's audit trail, oldest first, with each entry's hash and its predecessor's:
        for its supplier and the auditors."""
        lot = get_object_or_404(self.get_queryset(), pk=pk)
        if not (lot_can_manage(user=request.user, lot=lot) or is_auditor(request.user)):
            raise PermissionDenied("A lot's audit trail is for its supplier and the auditors.")
        page = self.paginate_queryset(lot_audit_trail(lot=lot))
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)


class PackModelApprove(generics.GenericAPIView):
    """An auditor approves a pack model's ratings, saying what they were checked against; the
    measurements held back for it are then compared with their claims."""

    serializer_class = PackModelApproveSerializer
    filter_backends = []

    @extend_schema(responses={200: PackModelSerializer})
    def post(self, request, pk: int):
        if not is_auditor(request.user):
            raise PermissionDenied("Only auditors approve pack models.")
        pack_model = get_object_or_404(pack_model_list(user=request.user), pk=pk)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        pack_model = pack_model_approve(
            user=request.user, pack_model=pack_model, note=body.validated_data["note"]
        )
        return Response(PackModelSerializer(pack_model).data)


class PackTestRecordListCreate(generics.ListCreateAPIView):
    """Upload test data for one pack (multipart `file`), or list the pack's uploads."""

    serializer_class = TestRecordSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends = []

    def get_pack(self) -> Pack:
        return get_object_or_404(pack_list_manageable(user=self.request.user), pk=self.kwargs["pk"])

    def get_queryset(self):
        return TestRecord.objects.filter(pack=self.get_pack())

    def initial(self, request, *args, **kwargs):
        # Before authentication: session authentication's CSRF check reads the whole body.
        if request.method == "POST":
            too_large = upload_too_large(request)
            if too_large:
                raise ValidationError({"file": [too_large]})
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request=TestRecordUploadSerializer,
        responses={201: TestRecordUploadedSerializer, 200: TestRecordUploadedSerializer},
    )
    def post(self, request, *args, **kwargs):
        pack = self.get_pack()
        upload = TestRecordUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            record = test_data_upload(
                user=request.user,
                pack=pack,
                uploaded_file=upload.validated_data["file"],
                data_format=upload.validated_data["format"],
                test_level=upload.validated_data["test_level"],
            )
        except AlreadyUploaded as exc:
            # Nothing new stored; the earlier upload answers, so a retried POST (its first
            # answer lost) follows the same record instead of failing.
            exc.record.already_uploaded, exc.record.detail = True, exc.message
            return Response(
                TestRecordUploadedSerializer(exc.record).data, status=status.HTTP_200_OK
            )
        return Response(TestRecordUploadedSerializer(record).data, status=status.HTTP_201_CREATED)


class SupplierScorecardDetail(generics.GenericAPIView):
    """A supplier's scorecard: the score and its parts for anyone signed in; every input, the
    advice and the trends for the supplier's own members and the auditors."""

    serializer_class = ScorecardSerializer
    filter_backends = []

    @extend_schema(responses={200: ScorecardSerializer})
    def get(self, request, pk: int):
        supplier = get_object_or_404(Organisation.objects.filter(kind__in=SUPPLIER_KINDS), pk=pk)
        access = scorecard_access(user=request.user, supplier=supplier)
        if access is None:
            raise PermissionDenied("Sign in to see a supplier's scorecard.")
        row = scorecard_current(supplier_id=supplier.pk)
        return Response(scorecard_data(scorecard_view(row, access=access)))
