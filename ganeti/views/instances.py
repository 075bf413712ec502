from django.shortcuts import render

from ganeti.selectors import cluster_list


def home(request):
    """The start page; the instance list takes its place with the instances feature."""
    return render(request, "ganeti/home.html", {"clusters": cluster_list(enabled_only=True)})
