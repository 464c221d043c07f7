from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from routing.forms import RuleSetForm
from routing.models import RerouteJob
from routing.selectors import reroute_job_latest, rule_set_active, rule_set_list
from suppliers.selectors import is_auditor

from ..selectors import rule_set_preview
from ..services import rule_set_publish


def auditor_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_auditor(request.user):
            raise PermissionDenied("Only auditors edit routing rules.")
        return view(request, *args, **kwargs)

    return wrapped


@auditor_required
def rule_set_index(request):
    return render(
        request,
        "routing/rule_set_list.html",
        {"rule_sets": rule_set_list(), "active": rule_set_active(), "job": reroute_job_latest()},
    )


@auditor_required
def rule_set_edit(request):
    """Edit thresholds, preview which lots would change route, then publish a new version."""
    active = rule_set_active()
    form = RuleSetForm(
        request.POST or None,
        initial={"name": active.name},
        initial_thresholds=active.as_thresholds(),
        initial_sample_plan=active.sample_plan,
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "publish":
            job = rule_set_publish(
                user=request.user,
                name=form.cleaned_data["name"],
                thresholds=form.cleaned_thresholds,
                notes=form.cleaned_data["notes"],
                sample_plan=form.cleaned_data["sample_plan"],
            )
            messages.success(request, f"Published {job.rule_set}; re-routing every lot.")
            return redirect("reroute-job", pk=job.pk)
        preview = rule_set_preview(
            thresholds=form.cleaned_thresholds, sample_plan=form.cleaned_data["sample_plan"]
        )
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(
        request,
        "routing/rule_set_form.html",
        {"form": form, "active": active, "preview": preview},
        status=status,
    )


@auditor_required
def reroute_job_detail(request, pk: int):
    job = get_object_or_404(RerouteJob.objects.select_related("rule_set"), pk=pk)
    template = "routing/_job_progress.html" if request.htmx else "routing/job_detail.html"
    return render(request, template, {"job": job})
