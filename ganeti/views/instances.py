"""Instance lists, the detail page and the power actions (start, shutdown, reboot)."""

from django.http import JsonResponse
from django.shortcuts import render

from ganeti.selectors import cluster_list


def home(request):
    return render(request, "ganeti/home.html", {"clusters": cluster_list(enabled_only=True)})


def instances_json(request):
    return JsonResponse({"rows": [], "total": 0, "filtered": 0, "page": 1, "errors": []})


def instance_detail(request, cluster, instance):
    raise NotImplementedError


instance_poll = instance_startup = instance_shutdown = instance_reboot = instance_detail
