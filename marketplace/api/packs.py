"""One pack's heavy figures, kept out of the lot detail so a lot of many packs stays small."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from routing.api.serializers import RoutingDecisionSerializer
from suppliers.api.serializers import PackSerializer
from verification.api.serializers import VerificationSummarySerializer

from ..selectors import pack_figures


class PackFiguresSerializer(serializers.Serializer):
    pack = PackSerializer()
    lot = serializers.IntegerField(source="pack.lot_id")
    verification = VerificationSummarySerializer(
        help_text="The latest run that measured the pack's SOH: the one the lot detail shows, "
        "with `measurement.figures` in full (per-cycle table `cycles`, `curves`, `dcir`)"
    )
    decision = RoutingDecisionSerializer(
        allow_null=True, help_text="The pack's latest decision, every rule checked in words"
    )


class PackFigures(generics.GenericAPIView):
    """The figures of a pack's latest measurement in full, and its routing decision: for
    whoever may open its lot (a buyer: verified lots only; a supplier: also its own drafts;
    auditors: every lot). 404 for a pack one may not see, or one no test measured yet."""

    serializer_class = PackFiguresSerializer
    filter_backends = []

    @extend_schema(responses={200: PackFiguresSerializer})
    def get(self, request, pk: int):
        found = pack_figures(user=request.user, pack_id=pk)
        if found is None:
            raise NotFound("No measured figures for this pack that you may see.")
        return Response(PackFiguresSerializer(found).data)
