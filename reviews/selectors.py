from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from suppliers.models import Lot
from suppliers.selectors import organisations_of

from .choices import SupplierRequestStatus
from .models import Notification, SupplierRequest


def supplier_requests_for(*, user: AbstractBaseUser) -> QuerySet[SupplierRequest]:
    """The requests on lots of the user's organisations, newest first, with their answers."""
    if not user.is_authenticated:
        return SupplierRequest.objects.none()
    return (
        SupplierRequest.objects.filter(lot__supplier__in=organisations_of(user=user))
        .select_related("lot", "pack", "asked_by")
        .prefetch_related("answers__files", "answers__author")
    )


def supplier_requests_all() -> QuerySet[SupplierRequest]:
    """Every request, for the auditors."""
    return SupplierRequest.objects.select_related("lot", "pack", "asked_by").prefetch_related(
        "answers__files", "answers__author"
    )


def supplier_requests_on_lot(*, lot: Lot) -> QuerySet[SupplierRequest]:
    return (
        SupplierRequest.objects.filter(lot=lot)
        .select_related("pack", "asked_by")
        .prefetch_related("answers__files", "answers__author")
    )


def supplier_requests_open_count(*, user: AbstractBaseUser) -> int:
    return supplier_requests_for(user=user).filter(status=SupplierRequestStatus.OPEN).count()


def notifications_for(*, user: AbstractBaseUser) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("lot")


def notifications_unread_count(*, user: AbstractBaseUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def supplier_request_counts(*, lot_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per lot: how many requests are open (with the supplier) and answered (with auditors)."""
    rows = (
        SupplierRequest.objects.filter(lot_id__in=lot_ids)
        .values("lot_id")
        .annotate(
            open=Count("pk", filter=Q(status=SupplierRequestStatus.OPEN)),
            answered=Count("pk", filter=Q(status=SupplierRequestStatus.ANSWERED)),
        )
    )
    return {row["lot_id"]: {"open": row["open"], "answered": row["answered"]} for row in rows}
