from django.shortcuts import get_object_or_404
from rest_framework import generics
from rest_framework.exceptions import PermissionDenied

from suppliers.models import Pack
from suppliers.selectors import is_auditor, lot_can_manage, lot_list_visible
from verification.models import TestRecord
from verification.selectors import verification_history_for_pack

from .serializers import TestRecordSerializer, VerificationHistorySerializer


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
