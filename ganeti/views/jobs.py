"""The jobs page (the job queues of every enabled cluster), its JSON, and one job's details.

Helpdesk and superusers only (ganeti.permissions.can_view_infrastructure)."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ganeti import permissions
from ganeti.rapi.client import GanetiApiError
from ganeti.rapi.inventory import describe_error
from ganeti.selectors import JOB_FILTERS, ganeti_time, job_detail, job_page

from .clusters import _query_string, forbidden_json, list_page_json, render_list_page, require_infrastructure
from .row_memo import RowMemo


def status_labels() -> dict:
    """Job status -> (label, Bootstrap colour), in the request's language."""
    return {
        "queued": (_("queued"), "secondary"), "waiting": (_("waiting"), "warning"),
        "running": (_("running"), "primary"), "canceling": (_("canceling"), "secondary"),
        "success": (_("success"), "success"), "error": (_("error"), "danger"),
        "canceled": (_("canceled"), "dark"), "unknown": (_("unknown"), "secondary"),
    }


def error_type_words(kind: str) -> str:
    """Ganeti's exception class of a failed opcode, in words."""
    return {
        "OpPrereqError": _("A prerequisite is not met"),
        "OpExecError": _("The operation failed while running"),
        "OpRetryError": _("The operation could not take its locks"),
        "OpResultError": _("The operation gave a wrong result"),
        "HypervisorError": _("The hypervisor failed"),
        "ConfigurationError": _("The cluster configuration is inconsistent"),
        "QuitGanetiException": _("Ganeti stopped"),
    }.get(kind, kind)


def error_code_words(code: str | None) -> str | None:
    """The error code Ganeti gives beside a prerequisite error, in words."""
    if not code:
        return None
    return {
        "resolver_error": _("a name did not resolve"),
        "insufficient_resources": _("not enough resources"),
        "temp_insufficient_resources": _("not enough resources at the moment; trying again later may work"),
        "wrong_input": _("wrong input"),
        "wrong_state": _("the object is not in the right state"),
        "unknown_entity": _("the object does not exist"),
        "already_exists": _("the object exists already"),
        "resource_not_unique": _("the resource is not unique"),
        "internal_error": _("an internal error of Ganeti"),
        "environment_error": _("an error of the environment (a node or a file)"),
    }.get(code, code)


def op_failure(result) -> dict | None:
    """An opresult entry of a failed opcode, ["OpPrereqError", [message, code]], as {"kind", "type",
    "message", "code", "code_words"}; None for a result that is not an error."""
    if not (isinstance(result, list) and len(result) == 2 and isinstance(result[0], str)
            and result[0].endswith(("Error", "Exception"))):
        return None
    details = result[1]
    if isinstance(details, list):
        message = str(details[0]) if details else ""
        code = details[1] if len(details) > 1 and isinstance(details[1], str) else None
    else:
        message, code = str(details), None
    return {"kind": result[0], "type": error_type_words(result[0]), "message": message, "code": code,
            "code_words": error_code_words(code)}


def _timestamps(job: dict) -> dict:
    return {name: ganeti_time(job.get(f"{name}_ts")) for name in ("received", "start", "end")}


def _op_ids(job: dict) -> list[str]:
    """The opcode ids of a job row (a snapshot row keeps the ids only) or of a whole job."""
    return [op if isinstance(op, str) else (op or {}).get("OP_ID", "?") for op in job.get("ops") or ()]


def _job_query(request) -> dict:
    status = request.GET.get("status", "")
    return {"status": status if status in JOB_FILTERS else "", "cluster_slug": request.GET.get("cluster", "")[:50],
            "page": request.GET.get("page", "1")[:9]}


def _detail_url(job: dict) -> str:
    return (reverse("ganeti:job_detail") + "?" + _query_string(cluster=job["cluster"].slug, jobid=str(job["id"]))[:-1])


# The jobs page's rows, as HTML and as JSON, per process: a job of one snapshot never changes, so its
# row depends only on the snapshot and the job (and the HTML on the language and time zone: the key).
_row_html = RowMemo()
_row_json = RowMemo()


def _snapshot_key(page, job) -> tuple | None:
    version = page.versions.get(job["cluster"].slug)
    return None if version is None else (job["cluster"], version, job.get("id"))


def _rendered_rows(page, labels: dict) -> list[str]:
    language, zone = get_language(), get_current_timezone_name()

    def render_row(job):
        row = {"job": job, "cluster": job["cluster"], "status": labels.get(job.get("status"), labels["unknown"]),
               "ops": _op_ids(job), "times": _timestamps(job), "detail_url": _detail_url(job)}
        return render_to_string("ganeti/_job_row.html", {"row": row})

    rows = []
    for job in page.rows:
        key = _snapshot_key(page, job)
        rows.append(_row_html.get(key and (language, zone, *key), lambda job=job: render_row(job)))
    return rows


def _json_row(job) -> dict:
    return {
        "id": job["id"], "cluster": job["cluster"].slug, "cluster_label": job["cluster"].label,
        "status": job.get("status"), "summary": job.get("summary") or [], "ops": _op_ids(job),
        **{name: value.isoformat() if value else None for name, value in _timestamps(job).items()},
        "detail_url": _detail_url(job),
    }


@require_GET
def jobs(request):
    require_infrastructure(request)
    params = _job_query(request)
    page = job_page(**params)
    labels = status_labels()
    rows = _rendered_rows(page, labels)
    filters = [(key, labels[key][0], labels[key][1], page.counts[key]) for key in JOB_FILTERS]
    context = {
        "page": page, "rows": rows, "params": params, "clusters": page.clusters, "filters": filters,
        "filter_query": _query_string(cluster=params["cluster_slug"]),
        "page_query": _query_string(status=params["status"], cluster=params["cluster_slug"]),
        "refresh_seconds": settings.JOBS_PAGE_REFRESH_SECONDS,
    }
    return render_list_page(request, "job-list", "ganeti/_job_list.html", "ganeti/jobs.html", context)


@require_GET
def jobs_json(request):
    """{"rows": [{id, cluster, cluster_label, status, summary, ops, received, start, end, detail_url}],
    "counts": {status filter: n}, "total", "filtered", "page", "pages", "errors": [{cluster, message}]},
    newest first; parameters status, cluster, page."""
    if not permissions.can_view_infrastructure(request.user):
        return forbidden_json()
    page = job_page(**_job_query(request))
    return list_page_json(page, [_row_json.get(_snapshot_key(page, job), lambda job=job: _json_row(job))
                                 for job in page.rows])


@require_GET
def job_detail_view(request):
    """One job, read now: in the jobs page's modal (an htmx fragment) or as a page."""
    require_infrastructure(request)
    fragment = bool(request.headers.get("HX-Request"))
    template = "ganeti/_job_detail.html" if fragment else "ganeti/job_detail.html"
    slug, job_id = request.GET.get("cluster", "")[:50], request.GET.get("jobid", "")[:20]
    context = {"cluster_slug": slug, "job_id": job_id}
    try:
        cluster, job = job_detail(slug, job_id)
    except GanetiApiError as exc:
        context["error"] = describe_error(exc.kind, exc.code, exc.message)
        return render(request, template, context, status=502)
    except Http404:  # said in the page or fragment, not Django's bare 404 page: the modal shows it
        context["not_found"] = True
        return render(request, template, context, status=404)
    labels = status_labels()
    ops = job.get("ops") or []
    opstatus = job.get("opstatus") or []
    opresult = job.get("opresult") or []
    oplog = job.get("oplog") or []
    steps = []
    for index, op in enumerate(ops):
        result = opresult[index] if index < len(opresult) else None
        failure = op_failure(result)
        steps.append({
            "op_id": (op or {}).get("OP_ID", "?") if isinstance(op, dict) else str(op),
            "summary": (job.get("summary") or [])[index] if index < len(job.get("summary") or []) else "",
            "status": labels.get(opstatus[index] if index < len(opstatus) else "", labels["unknown"]),
            "params": json.dumps(op, indent=2, sort_keys=True, default=str),
            "failure": failure,
            "result": None if failure or result is None else json.dumps(result, indent=2, sort_keys=True, default=str),
            "log": [{"serial": entry[0], "time": ganeti_time(entry[1]), "type": entry[2], "message": entry[3]}
                    for entry in (oplog[index] if index < len(oplog) else []) if isinstance(entry, list) and len(entry) >= 4],
        })
    context.update(cluster=cluster, job=job, steps=steps, times=_timestamps(job),
                   status=labels.get(job.get("status"), labels["unknown"]),
                   failure=next((step["failure"] for step in steps if step["failure"]), None))
    return render(request, template, context)
