"""Pages of the apply app: apply, my applications, the reviewers' list, review, fast creation, SSH keys."""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import ssh_keys_of
from . import images, permissions, selectors, services
from .forms import ApplicationForm, RefuseForm, ReviewForm
from .models import ApplicationStatus, InstanceApplication, Organization

PAGE_SIZE = 25


def _application_or_404(user, pk: int) -> InstanceApplication:
    application = selectors.application_for_user(user, pk)
    if application is None:
        raise Http404(_("No such application."))
    return application


def _initial_from_profile(user) -> dict:
    profile = getattr(user, "profile", None)
    initial = {"admin_contact_name": user.get_full_name(), "admin_contact_email": user.email,
               "admin_contact_phone": getattr(profile, "telephone", "")}
    if profile is not None and profile.organization:
        organization = Organization.objects.filter(title__iexact=profile.organization).first()
        if organization is not None:
            initial["organization"] = organization.pk
    return initial


@require_http_methods(["GET", "POST"])
def apply(request):
    """The application form (prefilled from the profile)."""
    if not permissions.can_apply(request.user):
        raise PermissionDenied
    form = ApplicationForm(request.POST or None, user=request.user,
                           initial=_initial_from_profile(request.user) if request.method == "GET" else None)
    if request.method == "POST" and form.is_valid():
        application = services.application_file(form=form, user=request.user,
                                                language=translation.get_language() or "")
        messages.success(request, _("Your request has been filed with id #%(id)s; you will be mailed when it is "
                                    "reviewed.") % {"id": application.pk})
        return redirect("apply:application_detail", pk=application.pk)
    return render(request, "apply/apply.html",
                  {"form": form, "may_fast_create": permissions.can_fast_create(request.user)})


@require_GET
def my_applications(request):
    page = Paginator(selectors.applications_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "apply/my_applications.html", {"page": page})


@require_GET
def application_list(request):
    """Every application, for reviewers (read-only for apply.view_applications); server-side pages."""
    if not permissions.can_list_applications(request.user):
        raise PermissionDenied
    which = request.GET.get("show", "open")
    if which not in selectors.LIST_FILTERS:
        which = "open"
    search = request.GET.get("q", "").replace("\x00", "").strip()[:100]  # PostgreSQL text holds no NUL
    page = Paginator(selectors.application_list(which, search=search), PAGE_SIZE).get_page(request.GET.get("page"))
    filters = [("open", _("Open (pending, approved, failed)")), ("pending", _("Pending")),
               ("completed", _("Completed")), ("all", _("All"))]
    page_query = urlencode({"show": which, **({"q": search} if search else {})}) + "&"
    return render(request, "apply/application_list.html", {
        "page": page, "show": which, "q": search, "filters": filters, "page_query": page_query,
        "may_review": permissions.can_review_applications(request.user)})


@require_GET
def application_detail(request, pk: int):
    application = _application_or_404(request.user, pk)
    return render(request, "apply/application_detail.html", {
        "application": application, "os_description": _os_description(application.operating_system),
        "may_review": permissions.can_review_applications(request.user) and application.is_open})


def _os_description(key: str) -> str:
    entry = images.operating_systems().get(key)
    return entry.get("description", key) if entry else _("%(key)s (no longer offered)") % {"key": key}


@require_http_methods(["GET", "POST"])
def application_review(request, pk: int):
    """Review: edit, place, accept / accept and submit / reject / re-submit."""
    if not permissions.can_review_applications(request.user):
        raise PermissionDenied
    application = _application_or_404(request.user, pk)
    action = request.POST.get("action", "")
    refuse_form = RefuseForm(request.POST if action == "refuse" else None)
    form = ReviewForm(request.POST if action in ("accept", "submit") else None, instance=application)
    if request.method == "POST":
        if not application.is_open:
            messages.error(request, _("This application is %(status)s: it cannot be reviewed any more.")
                           % {"status": application.get_status_display()})
            return redirect("apply:application_review", pk=pk)
        if action == "refuse" and refuse_form.is_valid():
            try:
                mailed = services.application_refuse(application=application, reviewer=request.user,
                                                     reason=refuse_form.cleaned_data["refusal_reason"])
            except services.ReviewRefused as exc:
                messages.error(request, str(exc))
                return redirect("apply:application_review", pk=pk)
            if mailed:
                messages.success(request, _("The application was rejected and the applicant mailed."))
            else:
                messages.warning(request, _("The application was rejected, but the applicant could not be mailed."))
            return redirect("apply:application_list")
        if action in ("accept", "submit") and form.is_valid():
            try:
                application = services.application_review(application=application, form=form, reviewer=request.user)
            except services.ReviewRefused as exc:
                messages.error(request, str(exc))
                return redirect("apply:application_review", pk=pk)
            if action == "submit":
                return _submit(request, application)
            messages.success(request, _("Application #%(id)s was approved; submit it to create the instance.")
                             % {"id": application.pk})
            return redirect("apply:application_review", pk=pk)
        if action not in ("accept", "submit", "refuse"):
            messages.error(request, _("Choose what to do with the application."))
    others = (selectors.application_list("pending").exclude(pk=application.pk)[:10])
    return render(request, "apply/review.html", {
        "application": application, "form": form, "refuse_form": refuse_form, "others": others,
        "os_description": _os_description(application.operating_system)})


def _submit(request, application):
    try:
        submission = services.application_submit(application=application, user=request.user)
    except services.SubmitRefused as exc:
        messages.error(request, str(exc))
        return redirect("apply:application_review", pk=application.pk)
    (messages.warning if submission.queued is False else messages.success)(request, submission.message)
    return redirect("apply:application_detail", pk=application.pk)


@require_http_methods(["GET", "POST"])
def application_save(request):
    """Superuser fast creation: the review form, empty; saved as an approved application and submitted."""
    if not permissions.can_fast_create(request.user):
        raise PermissionDenied
    form = ReviewForm(request.POST or None, instance=InstanceApplication(applicant=request.user))
    if request.method == "POST" and form.is_valid():
        application = services.application_fast_create(form=form, user=request.user)
        return _submit(request, application)
    return render(request, "apply/fast_create.html", {"form": form})


@require_GET
def placement_options(request):
    """The placement part of the review form for another cluster (htmx swaps it in)."""
    if not permissions.can_review_applications(request.user):
        raise PermissionDenied
    cluster_pk = selectors.pk_or_none(request.GET.get("cluster"))
    cluster = selectors.creation_clusters().filter(pk=cluster_pk).first() if cluster_pk is not None else None
    application = None
    pk = selectors.pk_or_none(request.GET.get("application"))
    if pk is not None:
        application = selectors.application_for_user(request.user, pk)
    form = ReviewForm(instance=application or InstanceApplication(), cluster=cluster)
    return render(request, "apply/_placement.html", {"form": form})


@login_not_required
@require_GET
def instance_ssh_keys(request, pk: int, cookie: str):
    """The applicant's SSH public keys as authorized_keys, for the new instance to fetch: no login; the
    secret cookie in the URL is the access check (compared in constant time)."""
    application = InstanceApplication.objects.select_related("applicant").filter(pk=pk).first()
    expected = application.ssh_keys_cookie if application is not None else "x" * len(cookie or "x")
    if application is None or not hmac.compare_digest(expected.encode(), (cookie or "").encode()):
        raise Http404
    if application.status in (ApplicationStatus.REFUSED, ApplicationStatus.DISCARDED):
        raise Http404
    body = "".join(f"{key.line}\n" for key in ssh_keys_of(application.applicant))
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


__all__ = ["apply", "my_applications", "application_list", "application_detail", "application_review",
           "application_save", "placement_options", "instance_ssh_keys"]
