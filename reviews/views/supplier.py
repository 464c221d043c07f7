"""The suppliers' side of a review: the questions and data requests on their lots, answered with
text and files, and everyone's notices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from suppliers.selectors import is_auditor, is_supplier, lot_can_manage

from ..forms import AnswerForm
from ..models import AnswerFile
from ..notifications import notifications_mark_read
from ..selectors import notifications_for, supplier_requests_for
from ..services import supplier_answer_create


@login_required
def request_inbox(request) -> HttpResponse:
    if not is_supplier(request.user):
        raise PermissionDenied("Questions from the auditors go to the suppliers of a lot.")
    requests = supplier_requests_for(user=request.user).order_by("status", "-asked_at")
    return render(request, "reviews/request_inbox.html", {"requests": requests})


@login_required
def request_detail(request, pk: int) -> HttpResponse:
    item = get_object_or_404(supplier_requests_for(user=request.user), pk=pk)
    form = AnswerForm()
    if request.method == "POST":
        form = AnswerForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                supplier_answer_create(
                    user=request.user,
                    request_id=item.pk,
                    text=form.cleaned_data["text"],
                    files=form.cleaned_data["files"],
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "Answer sent: the auditors have it back in their queue.")
                return redirect("review-request", pk=item.pk)
    return render(request, "reviews/request_detail.html", {"item": item, "form": form})


@login_required
def answer_file_download(request, pk: int) -> FileResponse:
    attached = get_object_or_404(AnswerFile.objects.select_related("answer__request__lot"), pk=pk)
    lot = attached.answer.request.lot
    if not (is_auditor(request.user) or lot_can_manage(user=request.user, lot=lot)):
        raise PermissionDenied("Answers are for the lot's supplier and the auditors.")
    return FileResponse(
        attached.file.open("rb"), as_attachment=True, filename=attached.original_name
    )


@login_required
def notification_list(request) -> HttpResponse:
    notices = notifications_for(user=request.user)[:200]
    return render(request, "reviews/notification_list.html", {"notices": notices})


@login_required
@require_POST
def notifications_read(request) -> HttpResponse:
    ids = (
        notifications_for(user=request.user)
        .filter(read_at__isnull=True)
        .values_list("pk", flat=True)
    )
    notifications_mark_read(user=request.user, notification_ids=list(ids))
    return redirect("notifications")


urlpatterns = [
    path("supplier/requests/", request_inbox, name="review-inbox"),
    path("supplier/requests/<int:pk>/", request_detail, name="review-request"),
    path("answer-files/<int:pk>/", answer_file_download, name="answer-file"),
    path("notifications/", notification_list, name="notifications"),
    path("notifications/read/", notifications_read, name="notifications-read"),
]
