"""Passports in the API: the same selectors and services as the web pages."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError
from suppliers.models import Pack
from suppliers.selectors import acting_supplier, supplier_organisations

from ..selectors import pack_for_passport
from ..services import PassportInvalid, passport_import, passport_issue, reuse_certificate_issue
from .serializers import (
    PassportImportResultSerializer,
    PassportImportSerializer,
    PassportRefusedSerializer,
)


def _pack(request, pk: int) -> Pack:
    try:
        return pack_for_passport(user=request.user, pk=pk)
    except Pack.DoesNotExist as exc:
        raise Http404("No such pack.") from exc


class PackPassport(APIView):
    @extend_schema(
        operation_id="pack_passport",
        summary="The pack's Catena-X BatteryPass 6.1.0",
        description="The pack model's ratings, the figures verification measured and, for its "
        "supplier and auditors, the declared cycle count; buyers of a listed lot get only "
        "figures a verification stands by. Required values the marketplace does not hold "
        "(the maker's materials data, business partner numbers, figures nobody measured) are "
        "left out, never filled in; `metadata.status` is `draft`. The same facts give the "
        "same passport; changed facts a new one whose `metadata.predecessor` names the last.",
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="No such pack")},
    )
    def get(self, request, pk: int):
        record = passport_issue(user=request.user, pack=_pack(request, pk))
        return Response(record.document)


class PackReuseCertificate(APIView):
    @extend_schema(
        operation_id="pack_reuse_certificate",
        summary="The pack's Catena-X ReuseCertificate 3.0.0",
        description="Only for a pack whose lot was sold with a reuse route (reuse-ESS or "
        "small-application); 409 otherwise.",
        responses={
            200: OpenApiTypes.OBJECT,
            404: OpenApiResponse(description="No such pack"),
            409: OpenApiResponse(description="The pack was not sold for reuse"),
        },
    )
    def get(self, request, pk: int):
        pack = _pack(request, pk)
        try:
            record = reuse_certificate_issue(user=request.user, pack=pack)
        except ApplicationError as exc:
            return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
        return Response(record.document)


class PassportImport(APIView):
    @extend_schema(
        operation_id="passport_import",
        summary="Import a BatteryPass to create or update one of your packs",
        description="Checks the document against the BatteryPass 6.1.0 schema and our own "
        "rules (real dates, none ahead; fades and percentages within 0-100 %). Refused: 400 "
        "with every problem by path, and nothing changed. Accepted: 201 when a pack was "
        "created, 200 when one was updated. A pack model not known to your organisation is "
        "proposed (an auditor approves it).",
        request=PassportImportSerializer,
        responses={
            200: PassportImportResultSerializer,
            201: PassportImportResultSerializer,
            400: PassportRefusedSerializer,
        },
    )
    def post(self, request):
        body = PassportImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        supplier = None
        if "supplier" in data:
            supplier = supplier_organisations(user=request.user).filter(slug=data["supplier"])
            supplier = supplier.first()
            if supplier is None:
                return self._refused("supplier", "You are no member of that supplier.")
        try:
            supplier = acting_supplier(
                user=request.user, supplier=supplier, doing="import passports"
            )
        except ApplicationError as exc:
            return self._refused("supplier", exc.message)
        try:
            result = passport_import(
                user=request.user,
                supplier=supplier,
                document=data["document"],
                lot_reference=data.get("lot", ""),
            )
        except PassportInvalid as exc:
            return Response(
                {"detail": exc.message, "errors": [vars(p) for p in exc.problems]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            PassportImportResultSerializer(result).data,
            status=status.HTTP_201_CREATED if result.pack_created else status.HTTP_200_OK,
        )

    def _refused(self, path: str, message: str) -> Response:
        return Response(
            {"detail": message, "errors": [{"path": path, "message": message}]},
            status=status.HTTP_400_BAD_REQUEST,
        )
