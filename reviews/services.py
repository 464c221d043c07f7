"""Auditors' decisions and their conversation with suppliers. Each write runs in one
transaction with its audit entry in the lot's trail; a verdict is a lifecycle transition; the
people concerned are notified in the app, and by email from a task once the write commits."""

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from core.errors import ApplicationError
from core.files import stored_file_discard, upload_name, uploaded_sha256
from marketplace.domain.lifecycle import Action, Status
from marketplace.lifecycle import lot_scope, lot_transition
from marketplace.pipeline import lot_refresh
from marketplace.services import test_record_rerun
from routing.choices import RouteChoice
from suppliers.models import Lot, Pack
from suppliers.selectors import is_auditor, lot_can_manage
from verification.models import TestRecord

from .choices import Decision, SupplierRequestKind, SupplierRequestStatus
from .models import AnswerFile, SupplierAnswer, SupplierRequest
from .notifications import notifications_create
from .tasks import email_notifications

# A decision and the lifecycle's auditor action and target status it takes.
DECISIONS = {
    Decision.APPROVE: (Action.APPROVE, Status.VERIFIED),
    Decision.REJECT: (Action.REJECT, Status.REJECTED),
}
MAX_ANSWER_FILES = 10
# Lots no buyer can take any more: their route is history.
UNROUTABLE_STATUSES = (Status.WITHDRAWN, Status.SOLD)
OPEN_STATUSES = (SupplierRequestStatus.OPEN, SupplierRequestStatus.ANSWERED)


def _written(text: str, *, field: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(f"{what} needs a written text.", field=field)
    return text


def _lock_lot(lot_id: int) -> Lot:
    return Lot.objects.select_for_update(of=("self",)).select_related("supplier").get(pk=lot_id)


def _supplier_people(lot: Lot) -> list[AbstractBaseUser]:
    return [m.user for m in lot.supplier.memberships.select_related("user")]


def _notify(recipients: Iterable[AbstractBaseUser], *, lot: Lot, message: str, link: str) -> None:
    ids = notifications_create(recipients=recipients, lot=lot, message=message, link=link)
    if ids:
        transaction.on_commit(lambda: email_notifications.delay(ids))


def _lot_link(lot: Lot) -> str:
    return reverse("lot-detail", args=[lot.pk])


@transaction.atomic
def lot_decide(*, user: AbstractBaseUser, lot_id: int, decision: str, reason: str) -> Lot:
    """An auditor approves or rejects a lot's figures, with a written reason. Open questions on
    the lot are closed with it: the decision answers them."""
    if not is_auditor(user):
        raise ApplicationError("Only auditors decide a lot's verdict.")
    if decision not in DECISIONS:
        raise ApplicationError(
            f"Unknown decision {decision!r}: approve or reject.", field="decision"
        )
    reason = _written(reason, field="reason", what="A decision")
    action, target = DECISIONS[Decision(decision)]
    lot = _lock_lot(lot_id)
    lot = lot_transition(lot=lot, to=target, action=action, actor=user, reason=reason)
    verb = "approved" if decision == Decision.APPROVE else "rejected"
    _requests_close(lot=lot, user=user, reason=f"lot {verb}: {reason}")
    _notify(
        _supplier_people(lot),
        lot=lot,
        message=f"An auditor {verb} lot {lot.reference}: {reason}",
        link=_lot_link(lot),
    )
    return lot


def _requests_close(*, lot: Lot, user: AbstractBaseUser, reason: str) -> int:
    """Close the lot's open requests (its row locked by the caller); returns how many."""
    requests = list(
        SupplierRequest.objects.select_for_update().filter(lot=lot, status__in=OPEN_STATUSES)
    )
    for request in requests:
        _close(request, user=user, reason=reason)
    return len(requests)


def _close(request: SupplierRequest, *, user: AbstractBaseUser, reason: str) -> None:
    before = request.status
    request.status = SupplierRequestStatus.CLOSED
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=user,
        action="review.request_closed",
        object_type="supplier_request",
        object_id=request.pk,
        before={"status": before},
        after={"status": request.status},
        reason=reason,
        scope=lot_scope(request.lot_id),
    )


@transaction.atomic
def supplier_request_create(
    *,
    user: AbstractBaseUser,
    lot_id: int,
    kind: str,
    text: str,
    pack_id: int | None = None,
) -> SupplierRequest:
    """An auditor asks the lot's supplier a question, or asks for new test data."""
    if not is_auditor(user):
        raise ApplicationError("Only auditors ask suppliers questions.")
    if kind not in SupplierRequestKind.values:
        raise ApplicationError(f"Unknown kind {kind!r}: question or data_request.", field="kind")
    text = _written(text, field="text", what="A question")
    lot = _lock_lot(lot_id)
    pack = None
    if pack_id is not None:
        pack = Pack.objects.filter(pk=pack_id, lot=lot).first()
        if pack is None:
            raise ApplicationError("That pack is not in this lot.", field="pack")
    request = SupplierRequest.objects.create(
        lot=lot, pack=pack, kind=kind, text=text, asked_by=user
    )
    audit_record(
        actor=user,
        action=f"review.{kind}",
        object_type="supplier_request",
        object_id=request.pk,
        after={"kind": kind, "pack": pack.serial if pack else None, "status": request.status},
        reason=text,
        scope=lot_scope(lot.pk),
    )
    label = (
        "asks for new test data on" if kind == SupplierRequestKind.DATA_REQUEST else "asks about"
    )
    _notify(
        _supplier_people(lot),
        lot=lot,
        message=f"An auditor {label} lot {lot.reference}"
        + (f", pack {pack.serial}" if pack else "")
        + f": {text}",
        link=reverse("review-inbox"),
    )
    return request


def _stored_file(answer: SupplierAnswer, uploaded: UploadedFile) -> AnswerFile:
    limit_mb = settings.TEST_DATA_MAX_UPLOAD_MB
    if uploaded.size > limit_mb * 1024 * 1024:
        raise ApplicationError(
            f"{uploaded.name} is {uploaded.size / 1024 / 1024:.1f} MB; the limit is {limit_mb} MB.",
            field="files",
        )
    attached = AnswerFile(
        answer=answer,
        original_name=upload_name(uploaded, default="attachment"),
        size_bytes=uploaded.size,
        sha256=uploaded_sha256(uploaded),
    )
    attached.file.save(uploaded.name or "attachment", uploaded, save=False)
    try:
        attached.save()
    except BaseException:
        stored_file_discard(attached.file)
        raise
    return attached


@transaction.atomic
def supplier_answer_create(
    *,
    user: AbstractBaseUser,
    request_id: int,
    text: str = "",
    files: Sequence[UploadedFile] = (),
) -> SupplierAnswer:
    """The supplier answers (text, files or both); the item returns to the auditors' queue."""
    # Locks in the order every review write takes them: the lot, then its requests.
    lot_id = SupplierRequest.objects.values_list("lot_id", flat=True).get(pk=request_id)
    _lock_lot(lot_id)
    request = (
        SupplierRequest.objects.select_for_update(of=("self",))
        .select_related("lot__supplier", "asked_by")
        .get(pk=request_id)
    )
    if not lot_can_manage(user=user, lot=request.lot):
        raise ApplicationError("Only the supplier of this lot answers its questions.")
    if request.status not in OPEN_STATUSES:
        raise ApplicationError("This request is closed; it takes no more answers.")
    text = (text or "").strip()
    if not text and not files:
        raise ApplicationError("An answer needs a text or a file.", field="text")
    if len(files) > MAX_ANSWER_FILES:
        raise ApplicationError(f"At most {MAX_ANSWER_FILES} files per answer.", field="files")
    answer = SupplierAnswer.objects.create(request=request, text=text, author=user)
    stored: list[AnswerFile] = []
    try:
        for uploaded in files:
            stored.append(_stored_file(answer, uploaded))
        _answered(request=request, answer=answer, user=user, text=text, stored=stored)
    except BaseException:
        # Rolled back with the rows; a commit lost with the connection is left to the sweep.
        for attached in stored:
            attached.file.delete(save=False)
        raise
    return answer


def _answered(
    *,
    request: SupplierRequest,
    answer: SupplierAnswer,
    user: AbstractBaseUser,
    text: str,
    stored: list[AnswerFile],
) -> None:
    before = request.status
    request.status = SupplierRequestStatus.ANSWERED
    request.answered_at = timezone.now()
    request.save(update_fields=["status", "answered_at"])
    audit_record(
        actor=user,
        action="review.answer",
        object_type="supplier_request",
        object_id=request.pk,
        before={"status": before},
        after={
            "status": request.status,
            "answer": answer.pk,
            "files": [{"name": f.original_name, "sha256": f.sha256} for f in stored],
        },
        reason=text,
        scope=lot_scope(request.lot_id),
    )
    _notify(
        [request.asked_by],
        lot=request.lot,
        message=f"{request.lot.supplier} answered on lot {request.lot.reference}",
        link=reverse("review-lot", args=[request.lot_id]),
    )


@transaction.atomic
def supplier_request_close(
    *, user: AbstractBaseUser, request_id: int, reason: str
) -> SupplierRequest:
    """An auditor closes a question or data request without deciding the lot."""
    if not is_auditor(user):
        raise ApplicationError("Only auditors close requests.")
    reason = _written(reason, field="reason", what="Closing a request")
    _lock_lot(SupplierRequest.objects.values_list("lot_id", flat=True).get(pk=request_id))
    request = SupplierRequest.objects.select_for_update().get(pk=request_id)
    if request.status not in OPEN_STATUSES:
        raise ApplicationError("This request is already closed.")
    _close(request, user=user, reason=reason)
    return request


@transaction.atomic
def lot_route_override(*, user: AbstractBaseUser, lot_id: int, route: str, reason: str) -> Lot:
    """An auditor sets the lot's route in place of the rules' (or, with `route` empty, gives
    it back to the rules). Buyers see it as the auditor's decision with its reason."""
    if not is_auditor(user):
        raise ApplicationError("Only auditors override a route.")
    if route and route not in RouteChoice.values:
        raise ApplicationError(
            f"Unknown route {route!r}: one of {', '.join(RouteChoice.values)}.", field="route"
        )
    reason = _written(reason, field="reason", what="A route override")
    lot = _lock_lot(lot_id)
    if lot.status in UNROUTABLE_STATUSES:
        raise ApplicationError(f"A {lot.status} lot is off the platform; its route stays.")
    before = {"route_override": lot.route_override, "reason": lot.route_override_reason}
    lot.route_override = route
    lot.route_override_reason = reason if route else ""
    lot.route_override_by = user if route else None
    lot.route_override_at = timezone.now() if route else None
    lot.save(
        update_fields=[
            "route_override", "route_override_reason", "route_override_by", "route_override_at",
            "updated_at",
        ]
    )  # fmt: skip
    audit_record(
        actor=user,
        action="review.route_override",
        object_type="lot",
        object_id=lot.pk,
        before=before,
        after={"route_override": route, "by": "auditor" if route else "rules"},
        reason=reason,
        scope=lot_scope(lot.pk),
    )
    lot_refresh(lot_id=lot.pk, reason=f"route set by an auditor: {reason}")
    _notify(
        _supplier_people(lot),
        lot=lot,
        message=(
            f"An auditor set the route of lot {lot.reference} to {route}: {reason}"
            if route
            else f"An auditor gave the route of lot {lot.reference} back to the rules: {reason}"
        ),
        link=_lot_link(lot),
    )
    return lot


@transaction.atomic
def test_record_rerun_by_auditor(
    *, user: AbstractBaseUser, test_record_id: int, reason: str
) -> TestRecord:
    """An auditor re-runs an upload's verification (failed or finished), with a written reason;
    the lot's supplier is told."""
    if not is_auditor(user):
        raise ApplicationError("Only auditors re-run verification.")
    reason = _written(reason, field="reason", what="A re-run")
    record = test_record_rerun(user=user, test_record_id=test_record_id, reason=reason)
    lot = Lot.objects.select_related("supplier").get(pk=record.pack.lot_id)
    _notify(
        _supplier_people(lot),
        lot=lot,
        message=f"An auditor re-runs the verification of {record.original_name} "
        f"(pack {record.pack.serial}): {reason}",
        link=_lot_link(lot),
    )
    return record
