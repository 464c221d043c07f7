"""The auditors' actions in the API (`/api/audit/...`), with the web pages' permissions: the
same services, so the two can never disagree."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.serializers import LotSerializer
from suppliers.models import Lot
from suppliers.selectors import is_auditor
from verification.api.serializers import TestRecordSerializer
from verification.models import TestRecord

from ..filters import QueueFilterForm
from ..models import SupplierRequest
from ..queue import review_queue
from ..selectors import supplier_requests_all, supplier_requests_for
from ..services import (
    lot_decide,
    lot_route_override,
    supplier_answer_create,
    supplier_request_close,
    supplier_request_create,
    test_record_rerun_by_auditor,
)
from .serializers import (
    AnswerCreateSerializer,
    DecisionSerializer,
    QueueItemSerializer,
    ReasonSerializer,
    RequestCreateSerializer,
    RouteOverrideSerializer,
    SupplierAnswerSerializer,
    SupplierRequestSerializer,
)

QUEUE_API_LIMIT = 500


class IsAuditor(BasePermission):
    message = "Only auditors do this."

    def has_permission(self, request, view) -> bool:
        return is_auditor(request.user)


def _lot(pk: int) -> Lot:
    return get_object_or_404(Lot.objects.select_related("summary"), pk=pk)


class ReviewQueue(APIView):
    """The auditors' queue, riskiest first, with counts per kind; the page's filters (`kind`,
    `chemistry`, `supplier` id, `older_than_days`)."""

    permission_classes = [IsAuditor]

    @extend_schema(responses={200: QueueItemSerializer(many=True)})
    def get(self, request):
        filters = QueueFilterForm(request.query_params or None)
        if filters.is_bound and not filters.is_valid():
            raise ValidationError(filters.errors)
        queue = review_queue(**filters.queue_filters())
        return Response(
            {
                "counts": queue.counts,
                "waiting_for_supplier": queue.waiting_for_supplier,
                "results": QueueItemSerializer(queue.items[:QUEUE_API_LIMIT], many=True).data,
            }
        )


class LotDecision(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(request=DecisionSerializer, responses={200: LotSerializer})
    def post(self, request, pk: int):
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _lot(pk)
        lot_decide(user=request.user, lot_id=pk, **body.validated_data)
        return Response(LotSerializer(_lot(pk), context={"request": request}).data)


class LotRouteOverride(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(request=RouteOverrideSerializer, responses={200: LotSerializer})
    def post(self, request, pk: int):
        body = RouteOverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _lot(pk)
        lot_route_override(user=request.user, lot_id=pk, **body.validated_data)
        return Response(LotSerializer(_lot(pk), context={"request": request}).data)


class LotRequestCreate(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(request=RequestCreateSerializer, responses={201: SupplierRequestSerializer})
    def post(self, request, pk: int):
        body = RequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _lot(pk)
        item = supplier_request_create(
            user=request.user,
            lot_id=pk,
            kind=body.validated_data["kind"],
            text=body.validated_data["text"],
            pack_id=body.validated_data.get("pack"),
        )
        return Response(SupplierRequestSerializer(item).data, status=status.HTTP_201_CREATED)


class RequestList(generics.ListAPIView):
    """Auditors: every request (filter with ?status=); suppliers: those on their own lots."""

    serializer_class = SupplierRequestSerializer
    filterset_fields = ["status", "kind", "lot"]

    def get_queryset(self):
        if is_auditor(self.request.user):
            return supplier_requests_all()
        return supplier_requests_for(user=self.request.user)


class RequestAnswerCreate(APIView):
    """The supplier answers a request (multipart: `text`, `files`)."""

    @extend_schema(request=AnswerCreateSerializer, responses={201: SupplierAnswerSerializer})
    def post(self, request, pk: int):
        item = get_object_or_404(supplier_requests_for(user=request.user), pk=pk)
        body = AnswerCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        answer = supplier_answer_create(
            user=request.user,
            request_id=item.pk,
            text=body.validated_data["text"],
            files=body.validated_data["files"],
        )
        return Response(SupplierAnswerSerializer(answer).data, status=status.HTTP_201_CREATED)


class RequestClose(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(request=ReasonSerializer, responses={200: SupplierRequestSerializer})
    def post(self, request, pk: int):
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        get_object_or_404(SupplierRequest, pk=pk)
        item = supplier_request_close(user=request.user, request_id=pk, **body.validated_data)
        return Response(SupplierRequestSerializer(item).data)


class TestRecordRerun(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(request=ReasonSerializer, responses={200: TestRecordSerializer})
    def post(self, request, pk: int):
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        get_object_or_404(TestRecord, pk=pk)
        record = test_record_rerun_by_auditor(
            user=request.user, test_record_id=pk, reason=body.validated_data["reason"]
        )
        return Response(TestRecordSerializer(record).data)
