"""The instance page's Graphs panel, drawn only when COLLECTD_URL is set and the user may see
the instance's graphs."""

from django import template
from django.conf import settings

from ganeti.permissions import can_view_instance_graphs

register = template.Library()


@register.inclusion_tag("ganeti/_instance_graphs.html", takes_context=True)
def instance_graphs(context):
    instance, cluster = context.get("instance"), context.get("cluster")
    request = context.get("request")
    shown = bool(settings.COLLECTD_URL and instance is not None and cluster is not None and request is not None
                 and can_view_instance_graphs(request.user, instance))
    return {"shown": shown, "instance": instance, "cluster": cluster,
            "nics": range(len(instance.nic_macs)) if shown else ()}
