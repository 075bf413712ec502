"""Instance changes: reinstall, destroy and rename confirmed through an e-mailed link; the configuration
form, the owners editor, admin lock and isolation.

Every view reads the instance live from its cluster (a just-removed owner cannot act on a stale
snapshot). An instance the user may not see answers 404 like a missing one; one the user sees but
may not change answers 403. Changes only by POST (destroy also DELETE), with CSRF.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from apply.images import os_choices
from ganeti import permissions
from ganeti.forms import ConfigurationForm, IsolationForm, LockForm, OwnersForm, ReinstallForm, RenameForm
from ganeti.models import InstanceAction
from ganeti.rapi.client import GanetiApiError
from ganeti.rapi.inventory import describe_error
from ganeti.selectors import cluster_os_variants, instance_or_404, owner_lookup as find_owners
from ganeti.services import (ActionLinkInvalid, ActionMailNotSent, InstanceChangeError, action_request_confirm,
                             action_request_create, action_request_find, action_request_matches,
                             action_request_refused, instance_configure, instance_set_admin_lock,
                             instance_set_isolation, instance_set_owners, reinstall_os_label, rename_obstacle)

__all__ = ["instance_reinstall", "instance_destroy", "instance_rename", "instance_config", "instance_owners",
           "instance_lock", "instance_isolate", "instance_action_confirm", "owner_lookup"]


def _cluster_failed(request, exc: GanetiApiError, *, instance_name: str = ""):
    message = describe_error(exc.kind, exc.code, exc.message)
    return render(request, "ganeti/instance_change_unavailable.html",
                  {"instance_name": instance_name, "message": message}, status=503)


def instance_change(check, methods=("GET", "POST")):
    """Decorate view(request, cluster, instance) taking the Cluster and the live instance: login
    required, 404 for who may not see the instance, 403 for who sees it but fails `check`, 503 when the
    cluster does not answer."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        @require_http_methods(list(methods))
        def wrapper(request, cluster, instance):
            try:
                cluster_obj, live = instance_or_404(request.user, cluster, instance, live=True)
            except GanetiApiError as exc:
                return _cluster_failed(request, exc, instance_name=instance)
            if not check(request.user, live):
                raise PermissionDenied
            return view(request, cluster_obj, live)
        return wrapper
    return decorator


def _posted(request):
    """The POSTed data to bind a form to, also when empty (an unticked checkbox posts nothing)."""
    return request.POST if request.method == "POST" else None


def _detail(cluster, instance_name: str) -> str:
    return reverse("ganeti:instance_detail", args=[cluster.slug, instance_name])


def _page(request, cluster, instance, *, title, form=None, button="", button_class="btn-primary", intro="",
          warnings=(), error="", disabled=False, status=200, template="ganeti/instance_change.html", **extra):
    context = {"cluster": cluster, "instance": instance, "title": title, "form": form, "button": button,
               "button_class": button_class, "intro": intro, "warnings": [w for w in warnings if w],
               "error": error, "disabled": disabled, "detail_url": _detail(cluster, instance.name), **extra}
    return render(request, template, context, status=status)


# -- reinstall, destroy, rename: ask, then confirm from the mail ----------------------------------------


def _mail_sent(request, cluster, instance, action_request):
    text = _("We mailed a confirmation link to %(email)s. Open it within %(days)d days to go ahead.") % {
        "email": request.user.email, "days": (action_request.expires_at - action_request.created).days}
    messages.success(request, text)
    return redirect(_detail(cluster, instance.name))


@instance_change(permissions.can_change_instance)
def instance_reinstall(request, cluster, instance):
    title = _("Reinstall")
    intro = _("Reinstalling erases every disk of the instance and installs a fresh operating system. We mail "
              "you a link: nothing happens until you open it and confirm.")
    try:
        variants = cluster_os_variants(cluster)
    except GanetiApiError as exc:
        return _cluster_failed(request, exc, instance_name=instance.name)
    form = ReinstallForm(_posted(request), os_variants=variants, current_os=instance.os, images=os_choices())
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, cluster, instance, title=title, form=form, intro=intro, status=400,
                         button=_("E-mail me the confirmation link"), button_class="btn-danger")
        try:
            action_request = action_request_create(request=request, cluster=cluster, instance=instance,
                                                   action=InstanceAction.REINSTALL,
                                                   operating_system=form.cleaned_data["operating_system"])
        except ActionMailNotSent as exc:
            return _page(request, cluster, instance, title=title, form=form, intro=intro, error=str(exc),
                         status=503, button=_("E-mail me the confirmation link"), button_class="btn-danger")
        return _mail_sent(request, cluster, instance, action_request)
    return _page(request, cluster, instance, title=title, form=form, intro=intro,
                 button=_("E-mail me the confirmation link"), button_class="btn-danger")


@instance_change(permissions.can_change_instance, methods=("GET", "POST", "DELETE"))
def instance_destroy(request, cluster, instance):
    title = _("Destroy")
    intro = _("Destroying removes the instance and all its disks for good. We mail you a link: nothing happens "
              "until you open it and confirm.")
    if request.method == "GET":
        return _page(request, cluster, instance, title=title, intro=intro,
                     button=_("E-mail me the confirmation link"), button_class="btn-danger")
    try:
        action_request = action_request_create(request=request, cluster=cluster, instance=instance,
                                               action=InstanceAction.DESTROY)
    except ActionMailNotSent as exc:
        if request.method == "DELETE":
            return JsonResponse({"ok": False, "code": "mail_not_sent", "message": str(exc)}, status=503)
        return _page(request, cluster, instance, title=title, intro=intro, error=str(exc), status=503, button=_("E-mail me the confirmation link"),
                     button_class="btn-danger")
    if request.method == "DELETE":
        return JsonResponse({"ok": True, "message": _("Mail sent")})
    return _mail_sent(request, cluster, instance, action_request)


@instance_change(permissions.can_change_instance)
def instance_rename(request, cluster, instance):
    title = _("Rename")
    intro = _("Renaming changes the instance's name in Ganeti; update your DNS to match. We mail you a link: "
              "nothing happens until you open it and confirm.")
    form = RenameForm(_posted(request), current_name=instance.name)
    running = instance.admin_state != "down" or bool(instance.oper_state)
    stopped_first = _("Only a stopped instance can be renamed: shut it down first (and make sure nothing starts "
                      "it again).") if running else ""
    page = functools.partial(_page, request, cluster, instance, title=title, form=form, intro=intro,
                             button=_("E-mail me the confirmation link"), disabled=running)
    if request.method == "GET":
        return page(warnings=[stopped_first])
    if not form.is_valid():
        return page(warnings=[stopped_first], status=400)
    try:
        obstacle = rename_obstacle(cluster, instance, form.cleaned_data["new_name"])
    except GanetiApiError as exc:
        return _cluster_failed(request, exc, instance_name=instance.name)
    if obstacle:
        return page(error=obstacle, status=409)
    try:
        action_request = action_request_create(request=request, cluster=cluster, instance=instance,
                                               action=InstanceAction.RENAME, new_name=form.cleaned_data["new_name"])
    except ActionMailNotSent as exc:
        return page(error=str(exc), status=503)
    return _mail_sent(request, cluster, instance, action_request)


@login_required
@require_http_methods(["GET", "POST"])
def instance_action_confirm(request, token):
    """The e-mailed link. Ownership is checked again, with the user who opened it, on live data: only
    the requester, while still allowed to change the instance, may confirm; anyone else is refused,
    audited and reported to the managers."""
    try:
        action_request = action_request_find(token)
    except ActionLinkInvalid as exc:
        return render(request, "ganeti/instance_action_link_invalid.html", {"message": str(exc), "code": exc.code},
                      status=404 if exc.code == "unknown" else 410)
    cluster = action_request.cluster
    name = action_request.instance_name
    try:
        # Found whatever the user's rights: a refusal must be told apart from an instance that is gone.
        cluster, instance = instance_or_404(request.user, cluster.slug, name, check=lambda user, inst: True, live=True)
    except Http404:
        instance = None
    except GanetiApiError as exc:
        return _cluster_failed(request, exc, instance_name=name)
    if instance is None or not action_request_matches(action_request, instance):
        return render(request, "ganeti/instance_action_link_invalid.html", {
            "message": _("The instance %(name)s no longer exists (or is another instance now).") % {"name": name},
            "code": "gone"}, status=410)
    user = request.user
    if user.pk != action_request.user_id or not permissions.can_change_instance(user, instance):
        reason = "not the requester" if user.pk != action_request.user_id else "may not change the instance now"
        action_request_refused(request=request, action_request=action_request, reason=reason)
        if permissions.can_view_instance(user, instance):
            raise PermissionDenied
        raise Http404("No such instance.")
    context = {"action_request": action_request, "cluster": cluster, "instance": instance,
               "detail_url": _detail(cluster, name), "os_label": reinstall_os_label(action_request.operating_system)}
    obstacle = ""
    if action_request.action == InstanceAction.RENAME:
        try:
            obstacle = rename_obstacle(cluster, instance, action_request.new_name)
        except GanetiApiError as exc:
            return _cluster_failed(request, exc, instance_name=name)
    if request.method == "GET" or obstacle:
        return render(request, "ganeti/instance_action_confirm.html", {**context, "error": obstacle},
                      status=409 if obstacle and request.method == "POST" else 200)
    try:
        job_id = action_request_confirm(request=request, action_request=action_request, instance=instance)
    except ActionLinkInvalid as exc:
        return render(request, "ganeti/instance_action_link_invalid.html", {"message": str(exc), "code": exc.code},
                      status=410)
    except InstanceChangeError as exc:
        return render(request, "ganeti/instance_action_confirm.html", {**context, "error": str(exc)}, status=502)
    texts = {
        InstanceAction.REINSTALL: _("Reinstalling %(name)s: Ganeti job %(job)d."),
        InstanceAction.DESTROY: _("Destroying %(name)s: Ganeti job %(job)d."),
        InstanceAction.RENAME: _("Renaming %(name)s to %(new)s: Ganeti job %(job)d."),
    }
    messages.success(request, texts[action_request.action] % {"name": name, "new": action_request.new_name,
                                                                "job": job_id})
    if action_request.action in (InstanceAction.DESTROY, InstanceAction.RENAME):
        return redirect("ganeti:home")  # the old name's page ends with the job (a renamed one starts then)
    return redirect(_detail(cluster, name))


# -- configuration ------------------------------------------------------------------------------------


@instance_change(permissions.can_change_instance)
def instance_config(request, cluster, instance):
    """Hypervisor parameters an owner may change. Only owners (can_change_instance) may POST: the old
    ganetimgr accepted this form from anyone who could see the instance."""
    title = _("Configuration")
    form = ConfigurationForm(_posted(request), hvparams=instance.hvparams)
    running = instance.status == "running" or bool(instance.oper_state)
    page = functools.partial(_page, request, cluster, instance, title=title, form=form, button=_("Save"),
                             intro=_("Changes to a running instance apply when it next starts: reboot it then."))
    if not form.fields:
        return page(form=None, warnings=[_("This instance's hypervisor has none of the settings this form "
                                           "changes.")])
    if request.method == "GET":
        return page(warnings=[_("This instance needs a reboot for earlier changes to apply.")
                              if instance.meanings.needs_reboot else ""])
    if not form.is_valid():
        return page(status=400)
    changes = form.changes()
    if not changes:
        messages.info(request, _("Nothing was changed."))
        return redirect(_detail(cluster, instance.name))
    try:
        job_id, needs_reboot = instance_configure(request=request, cluster=cluster, instance=instance,
                                                  changes=changes)
    except InstanceChangeError as exc:
        return page(error=str(exc), status=502)
    if needs_reboot or running:
        messages.warning(request, _("Configuration saved (Ganeti job %(job)d). The instance runs: reboot it for "
                                    "the changes to apply.") % {"job": job_id})
    else:
        messages.success(request, _("Configuration saved (Ganeti job %(job)d).") % {"job": job_id})
    return redirect(_detail(cluster, instance.name))


# -- owners -----------------------------------------------------------------------------------------------


@instance_change(permissions.can_edit_owners)
def instance_owners(request, cluster, instance):
    """Owners as tags: POST the complete wanted list of owners (u:<user>, g:<group>); the difference
    is tagged and untagged. Leaving no owner at all is for superusers only."""
    users, groups = sorted(instance.meanings.users), sorted(instance.meanings.groups)
    form = OwnersForm(_posted(request), current_users=users, current_groups=groups,
                      may_leave_none=request.user.is_superuser)
    context = {"owner_users": users, "owner_groups": groups}
    page = functools.partial(_page, request, cluster, instance, title=_("Owners"), form=form, button=_("Save"),
                             template="ganeti/instance_owners.html", **context)
    if request.method == "GET":
        return page()
    if not form.is_valid():
        return page(status=400)
    wanted = form.cleaned_data["owners"]
    try:
        jobs = instance_set_owners(request=request, cluster=cluster, instance=instance, users=wanted["users"],
                                   groups=wanted["groups"])
    except InstanceChangeError as exc:
        return page(error=str(exc), status=502)
    if not jobs:
        messages.info(request, _("Nothing was changed."))
    else:
        messages.success(request, _("Owners changed (Ganeti jobs %(jobs)s).") % {"jobs": ", ".join(map(str, jobs))})
    if not (permissions.can_view_all_instances(request.user)
            or permissions.is_listed_owner(request.user, wanted["users"], wanted["groups"])):
        return redirect("ganeti:home")  # the user removed themselves: the instance is no longer theirs to see
    return redirect(_detail(cluster, instance.name))


@login_required
@require_GET
def owner_lookup(request):
    """/tagusergrps/?q=: users and groups for the owners editor, JSON (or, for htmx, checkboxes)."""
    results = find_owners(request.user, request.GET.get("q", ""))
    if request.headers.get("HX-Request"):
        return render(request, "ganeti/_owner_lookup_results.html", {"results": results})
    return JsonResponse({"results": results})


# -- admin lock, isolation ------------------------------------------------------------------------------


def _switch_page(request, cluster, instance, *, form, title, intro, change):
    """The admin lock and isolation pages: GET shows the form; a valid POST runs `change(cleaned_data)`,
    which makes the change and returns the message to show ("" when nothing changed)."""
    page = functools.partial(_page, request, cluster, instance, title=title, form=form, button=_("Save"), intro=intro)
    if request.method == "GET":
        return page()
    if not form.is_valid():
        return page(status=400)
    try:
        text = change(form.cleaned_data)
    except InstanceChangeError as exc:
        return page(error=str(exc), status=502)
    if text:
        messages.success(request, text)
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect(_detail(cluster, instance.name))


@instance_change(permissions.can_lock_instance)
def instance_lock(request, cluster, instance):
    def change(data):
        job_id = instance_set_admin_lock(request=request, cluster=cluster, instance=instance, locked=data["locked"])
        if job_id is None:
            return ""
        if data["locked"]:
            return _("Instance locked (Ganeti job %(job)d).") % {"job": job_id}
        return _("Instance unlocked (Ganeti job %(job)d).") % {"job": job_id}

    return _switch_page(request, cluster, instance, title=_("Admin lock"), change=change,
                        form=LockForm(_posted(request), initial={"locked": instance.meanings.admin_locked}),
                        intro=_("A locked instance refuses its owners' actions until it is unlocked."))


@instance_change(permissions.can_isolate_instance)
def instance_isolate(request, cluster, instance):
    def change(data):
        result = instance_set_isolation(request=request, cluster=cluster, instance=instance,
                                        isolated=data["isolated"], whitelist_ip=data["whitelist_ip"])
        if not result["changed"]:
            return ""
        jobs = ", ".join(map(str, result["jobs"]))
        if result["migrated"]:
            return _("Isolation changed and the instance is being live-migrated to apply it "
                     "(Ganeti jobs %(jobs)s).") % {"jobs": jobs}
        return _("Isolation changed (Ganeti jobs %(jobs)s); the nodes apply it when the instance next starts or "
                 "moves.") % {"jobs": jobs}

    form = IsolationForm(_posted(request), initial={"isolated": instance.meanings.isolated,
                                                    "whitelist_ip": instance.meanings.whitelist_ip or ""})
    return _switch_page(
        request, cluster, instance, title=_("Isolation"), form=form, change=change,
        intro=_("An isolated instance is cut off from the network by the nodes' firewall, except for the "
                "allowed address. A running instance is live-migrated so that the nodes apply the new rules."))
