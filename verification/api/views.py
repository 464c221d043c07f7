from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from suppliers.models import Pack
from suppliers.selectors import is_auditor, lot_can_manage, lot_list_visible, pack_list_manageable
from verification.models import TestRecord
from verification.selectors import verification_history_for_pack
from verification.services import test_record_create
from verification.views import upload_too_large

from .serializers import (
    TestRecordSerializer,
    TestRecordUploadSerializer,
    VerificationHistorySerializer,
)


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

    @extend_schema(request=TestRecordUploadSerializer, responses={201: TestRecordSerializer})
    def post(self, request, *args, **kwargs):
        pack = self.get_pack()
        upload = TestRecordUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        record = test_record_create(
            user=request.user,
            pack=pack,
            uploaded_file=upload.validated_data["file"],
            data_format=upload.validated_data["format"],
        )
        return Response(TestRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class TestRecordDetail(generics.RetrieveAPIView):
    serializer_class = TestRecordSerializer
    queryset = TestRecord.objects.select_related("pack__lot__supplier")

    def get_object(self):
        record = super().get_object()
        user = self.request.user
        if not (lot_can_manage(user=user, lot=record.pack.lot) or is_auditor(user)):
            raise PermissionDenied("Test data are visible to the lot's supplier and auditors.")
        return record


class PackVerificationList(generics.ListAPIView):
    """A pack's verification history, newest first: every finished run stays when new test data
    arrive. Failed runs name the supplier's files, so only its supplier and auditors get them."""

    serializer_class = VerificationHistorySerializer
    filter_backends = []

    def get_queryset(self):
        user = self.request.user
        pack = get_object_or_404(Pack, pk=self.kwargs["pk"])
        lot = get_object_or_404(lot_list_visible(user=user), pk=pack.lot_id)
        sees_test_data = lot_can_manage(user=user, lot=lot) or is_auditor(user)
        return verification_history_for_pack(pack=pack, include_failed=sees_test_data)
