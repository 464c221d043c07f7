"""Notices in the app, and their email copies (sent by `reviews.tasks`)."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.utils import timezone

from suppliers.models import Lot

from .models import Notification


def notifications_create(
    *, recipients: Iterable[AbstractBaseUser], lot: Lot | None, message: str, link: str
) -> list[int]:
    """One notice per person (however often they are listed); returns their ids."""
    people = {user.pk: user for user in recipients}.values()
    notices = Notification.objects.bulk_create(
        Notification(recipient=user, lot=lot, message=message, link=link) for user in people
    )
    return [notice.pk for notice in notices]


def notifications_email(*, notification_ids: Iterable[int]) -> int:
    """Email each notice not emailed yet to its recipient (safe to run twice); returns how many
    were sent. A recipient without an address keeps the notice in the app only."""
    sent = 0
    pending = Notification.objects.select_related("recipient").filter(
        pk__in=list(notification_ids), emailed_at__isnull=True
    )
    for notice in pending:
        address = notice.recipient.email
        if not address:
            continue
        body = notice.message
        if notice.link:
            body += f"\n\n{settings.SITE_URL.rstrip('/')}{notice.link}"
        send_mail(
            subject=f"[Second-life marketplace] {notice.message[:60]}",
            message=body,
            from_email=None,
            recipient_list=[address],
        )
        # Marked one by one: a failure midway re-sends none of those already sent.
        Notification.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notifications_mark_read(*, user: AbstractBaseUser, notification_ids: Iterable[int]) -> int:
    return Notification.objects.filter(
        recipient=user, pk__in=list(notification_ids), read_at__isnull=True
    ).update(read_at=timezone.now())
