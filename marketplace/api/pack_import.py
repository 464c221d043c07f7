"""POST /api/lots/{id}/packs/import/: a draft lot's packs from a CSV or XLSX file (multipart
`file`), checked only with `dry_run=true`, imported without it. Errors come as a list of
{line, column, message}, as the preview page shows them."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from suppliers.domain.pack_rows import MAX_ROWS, RowError
from suppliers.pack_import import MAX_FILE_BYTES, PackImportInvalid
from suppliers.selectors import lot_can_manage

from ..pack_import import pack_import, pack_import_check, upload_bytes
from ..selectors import lots_visible

# A 20,000-row file can have more problems than any client reads; the total is always given.
ERRORS_LISTED = 1000
FRAMING_BYTES = 64 * 1024


class PackImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=f"CSV (`,` or `;`, UTF-8) or XLSX; at most {MAX_FILE_BYTES // 1024 // 1024} "
        f"MB and {MAX_ROWS:,} packs. Columns: serial, claimed_soh_pct, cycle_count, vin, "
        "manufactured_on, in_service_on, removed_on, notes (only serial required)."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check the file and say what would be imported; save nothing."
    )


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text="Null: the file as a whole")
    column = serializers.CharField(allow_null=True, help_text="Null: the row as a whole")
    message = serializers.CharField()


class PackImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    file = serializers.CharField()
    sha256 = serializers.CharField()
    rows = serializers.IntegerField(help_text="Packs read (and imported, unless a dry run)")
    history_events = serializers.IntegerField(required=False)
    errors = RowErrorSerializer(many=True)


class PackImportErrorsSerializer(serializers.Serializer):
    detail = serializers.CharField()
    rows = serializers.IntegerField(help_text="Rows of packs read, right or wrong")
    errors_total = serializers.IntegerField()
    errors = RowErrorSerializer(many=True, help_text=f"The first {ERRORS_LISTED:,}")


def _errors(errors: list[RowError]) -> list[dict]:
    return [
        {"line": e.line, "column": e.column, "message": e.message} for e in errors[:ERRORS_LISTED]
    ]


def _refused(errors: list[RowError], rows: int) -> Response:
    body = {
        "detail": "The file cannot be imported; nothing was saved.",
        "rows": rows,
        "errors_total": len(errors),
        "errors": _errors(errors),
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class LotPackImport(generics.GenericAPIView):
    """Import a draft lot's packs from a file: all of them with their history (manufacture,
    service with the VIN, removal), or none when any row is wrong."""

    serializer_class = PackImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends = []

    def initial(self, request, *args, **kwargs):
        # Before authentication: session authentication's CSRF check reads the whole body.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_FILE_BYTES + FRAMING_BYTES:
            raise ValidationError(
                {"file": [f"The upload is {length / 1024 / 1024:.1f} MB; the limit is "
                          f"{MAX_FILE_BYTES // 1024 // 1024} MB ({MAX_ROWS:,} packs)."]}
            )  # fmt: skip
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": PackImportSerializer},
        responses={
            201: PackImportResultSerializer,
            200: OpenApiResponse(PackImportResultSerializer, description="dry_run: the check"),
            400: OpenApiResponse(PackImportErrorsSerializer, description="Nothing saved"),
        },
        examples=[
            OpenApiExample(
                "Refused",
                status_codes=["400"],
                response_only=True,
                value={
                    "detail": "The file cannot be imported; nothing was saved.",
                    "rows": 2,
                    "errors_total": 1,
                    "errors": [
                        {"line": 3, "column": "claimed_soh_pct", "message": "104 is above 100 %."}
                    ],
                },
            )
        ],
    )
    def post(self, request, pk: int):
        lot = get_object_or_404(lots_visible(user=request.user), pk=pk)
        if not lot_can_manage(user=request.user, lot=lot):
            raise PermissionDenied("Only the supplier of this lot can import its packs.")
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        data, name = upload_bytes(upload), upload.name or "packs"
        if body.validated_data["dry_run"]:
            check = pack_import_check(user=request.user, lot=lot, data=data, name=name)
            if not check.ok:
                return _refused(check.errors, check.parsed.rows_read)
            result = {"dry_run": True, "file": name, "sha256": check.sha256,
                      "rows": len(check.parsed.rows), "errors": []}  # fmt: skip
            return Response(result)
        try:
            done = pack_import(user=request.user, lot=lot, data=data, name=name)
        except PackImportInvalid as exc:
            return _refused(exc.errors, exc.rows_read)
        result = {"dry_run": False, "file": done.name, "sha256": done.sha256, "rows": done.packs,
                  "history_events": done.history_events, "errors": []}  # fmt: skip
        return Response(result, status=status.HTTP_201_CREATED)
