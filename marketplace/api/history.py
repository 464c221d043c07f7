"""A lot's documented history and documents over the API, with the web pages' permissions:
anyone who may open the lot reads its history; documents are their supplier's and the
auditors', and buyers' where the supplier published them on a verified or listed lot. Writes
are the supplier's, through the same services as the web forms."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from suppliers.choices import DocumentKind, HistoryEventKind
from suppliers.models import Document, HistoryEvent, Lot, Pack
from suppliers.selectors import document_list_visible, lot_can_manage
from verification.views import upload_too_large

from ..history import document_publish, document_upload, history_event_add
from ..selectors import lots_visible
from ..views.history import document_downloadable, document_response


class DocumentSerializer(serializers.ModelSerializer):
    pack_serial = serializers.CharField(source="pack.serial", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "original_name",
            "content_type",
            "size_bytes",
            "sha256",
            "published",
            "pack",
            "pack_serial",
            "history_event",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, document: Document) -> str:
        return reverse("api-document-download", args=[document.pk])


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, PNG, JPEG or WebP, read from the content")
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    pack = serializers.IntegerField(required=False, allow_null=True, help_text="A pack's id")
    history_event = serializers.IntegerField(
        required=False, allow_null=True, help_text="The id of the history event it documents"
    )
    published = serializers.BooleanField(
        default=False, help_text="Shown to buyers once the lot is verified or listed"
    )


class HistoryEventReadSerializer(serializers.ModelSerializer):
    pack_serial = serializers.CharField(source="pack.serial", read_only=True, allow_null=True)
    documents = serializers.SerializerMethodField()

    class Meta:
        model = HistoryEvent
        fields = [
            "id",
            "kind",
            "occurred_on",
            "pack",
            "pack_serial",
            "actor",
            "vin",
            "custody_from",
            "custody_to",
            "notes",
            "recorded_at",
            "documents",
        ]

    @extend_schema_field(DocumentSerializer(many=True))
    def get_documents(self, event: HistoryEvent) -> list[dict]:
        visible = self.context.get("documents", {}).get(event.pk, [])
        return DocumentSerializer(visible, many=True).data


class HistoryEventWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=HistoryEventKind.choices)
    occurred_on = serializers.DateField()
    pack = serializers.IntegerField(
        required=False, allow_null=True, help_text="A pack's id; leave out for every pack"
    )
    actor = serializers.CharField(required=False, allow_blank=True, max_length=200)
    vin = serializers.CharField(required=False, allow_blank=True, max_length=17)
    custody_from = serializers.CharField(required=False, allow_blank=True, max_length=200)
    custody_to = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True)


def _lot(request, pk: int) -> Lot:
    return get_object_or_404(lots_visible(user=request.user), pk=pk)


def _managed(request, lot: Lot) -> None:
    if not lot_can_manage(user=request.user, lot=lot):
        raise PermissionDenied("Only the supplier of this lot adds to its history and documents.")


def _pack(lot: Lot, pack_id: int | None) -> Pack | None:
    if pack_id is None:
        return None
    pack = lot.packs.filter(pk=pack_id).first()
    if pack is None:
        raise ValidationError({"pack": [f"Lot {lot.reference} has no pack {pack_id}."]})
    return pack


class LotHistory(generics.GenericAPIView):
    """A lot's documented history, oldest first: events for every pack (`pack` null) and for
    one pack, each with the documents you may see. The supplier adds events; after submission
    an event is only added, never changed, and a safety event re-routes the lot."""

    serializer_class = HistoryEventReadSerializer
    filter_backends = []

    @extend_schema(responses={200: HistoryEventReadSerializer(many=True)})
    def get(self, request, pk: int):
        lot = _lot(request, pk)
        page = self.paginate_queryset(HistoryEvent.objects.filter(lot=lot).select_related("pack"))
        documents: dict[int, list[Document]] = {}
        visible = document_list_visible(user=request.user).filter(
            history_event__in=[event.pk for event in page]
        )
        for document in visible:
            documents.setdefault(document.history_event_id, []).append(document)
        data = HistoryEventReadSerializer(page, many=True, context={"documents": documents}).data
        return self.get_paginated_response(data)

    @extend_schema(request=HistoryEventWriteSerializer, responses={201: HistoryEventReadSerializer})
    def post(self, request, pk: int):
        lot = _lot(request, pk)
        _managed(request, lot)
        body = HistoryEventWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        pack = _pack(lot, fields.pop("pack", None))
        event = history_event_add(user=request.user, lot=lot, pack=pack, fields=fields)
        return Response(HistoryEventReadSerializer(event).data, status=status.HTTP_201_CREATED)


class LotDocuments(generics.GenericAPIView):
    """A lot's documents you may see; the supplier uploads one (multipart `file`), for the
    lot, one of its packs or one history event. The type is read from the content: a file
    that is not a PDF, PNG, JPEG or WebP (a photo: an image) is refused, naming what it is."""

    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends = []

    def initial(self, request, *args, **kwargs):
        # Before authentication: session authentication's CSRF check reads the whole body.
        if request.method == "POST":
            too_large = upload_too_large(request, limit_mb=settings.DOCUMENT_MAX_UPLOAD_MB)
            if too_large:
                raise ValidationError({"file": [too_large]})
        super().initial(request, *args, **kwargs)

    @extend_schema(responses={200: DocumentSerializer(many=True)})
    def get(self, request, pk: int):
        lot = _lot(request, pk)
        page = self.paginate_queryset(document_list_visible(user=request.user).filter(lot=lot))
        return self.get_paginated_response(DocumentSerializer(page, many=True).data)

    @extend_schema(request=DocumentUploadSerializer, responses={201: DocumentSerializer})
    def post(self, request, pk: int):
        lot = _lot(request, pk)
        _managed(request, lot)
        body = DocumentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        event = None
        if data.get("history_event") is not None:
            event = lot.history.filter(pk=data["history_event"]).first()
            if event is None:
                raise ValidationError(
                    {
                        "history_event": [
                            f"Lot {lot.reference} has no event {data['history_event']}."
                        ]
                    }
                )
        document = document_upload(
            user=request.user,
            lot=lot,
            uploaded_file=data["file"],
            kind=data["kind"],
            pack=_pack(lot, data.get("pack")),
            history_event=event,
            published=data["published"],
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentPublishSerializer(serializers.Serializer):
    published = serializers.BooleanField(
        help_text="Shown to buyers once the lot is verified or listed"
    )


class DocumentDetail(generics.GenericAPIView):
    """One document you may see. Its supplier publishes it to buyers or stops (`PATCH` with
    `published`); a document is never changed otherwise, nor deleted: it is evidence."""

    serializer_class = DocumentSerializer
    filter_backends = []

    def get(self, request, pk: int):
        return Response(DocumentSerializer(document_downloadable(user=request.user, pk=pk)).data)

    @extend_schema(request=DocumentPublishSerializer, responses={200: DocumentSerializer})
    def patch(self, request, pk: int):
        document = document_downloadable(user=request.user, pk=pk)
        _managed(request, document.lot)
        body = DocumentPublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = document_publish(
            user=request.user, document=document, published=body.validated_data["published"]
        )
        return Response(DocumentSerializer(document).data)


class DocumentDownload(generics.GenericAPIView):
    """The stored file, as the type read from its content (Content-Disposition: attachment,
    nosniff). Not found for anyone who may not see it, whether it exists or not."""

    filter_backends = []
    serializer_class = None

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="The document")}
    )
    def get(self, request, pk: int):
        return document_response(document_downloadable(user=request.user, pk=pk))
