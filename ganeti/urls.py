from django.urls import path

from .views import changes, clusters, console, graphs, instances, jobs

app_name = "ganeti"

_instance = "instances/<str:cluster>/<str:instance>/"

urlpatterns = [
    # -- instances
    path("", instances.home, name="home"),
    path("instances/json/", instances.instances_json, name="instances_json"),
    path(_instance, instances.instance_detail, name="instance_detail"),
    path(_instance + "poll/", instances.instance_poll, name="instance_poll"),
    path(_instance + "startup/", instances.instance_startup, name="instance_startup"),
    path(_instance + "shutdown/", instances.instance_shutdown, name="instance_shutdown"),
    path(_instance + "reboot/", instances.instance_reboot, name="instance_reboot"),
    # -- end instances
    # -- instance changes
    # Not under instances/: instances/<a>/<b>/ is an instance page.
    path("actions/confirm/<str:token>/", changes.instance_action_confirm, name="instance_action_confirm"),
    path("tagusergrps/", changes.owner_lookup, name="owner_lookup"),
    path(_instance + "reinstall/", changes.instance_reinstall, name="instance_reinstall"),
    path(_instance + "reinstalldestroy/", changes.instance_destroy, name="instance_destroy"),
    path(_instance + "rename/", changes.instance_rename, name="instance_rename"),
    path(_instance + "config/", changes.instance_config, name="instance_config"),
    path(_instance + "owners/", changes.instance_owners, name="instance_owners"),
    path(_instance + "lock/", changes.instance_lock, name="instance_lock"),
    path(_instance + "isolate/", changes.instance_isolate, name="instance_isolate"),
    # -- end instance changes
    # -- graphs
    path("graph/all/", graphs.graphs_all, name="graphs_all"),
    path("graph/<str:cluster>/instances/", graphs.cluster_graphs, name="cluster_graphs"),
    path("graph/<str:cluster>/<str:instance>/<str:graph_type>/", graphs.instance_graph, name="instance_graph"),
    # -- end graphs
    # -- clusters, nodes, jobs
    path("cluster/detail/", clusters.cluster_detail_page, name="cluster_detail"),
    path("cluster/detail/json/", clusters.cluster_detail_json, name="cluster_detail_json"),
    path("cluster/detail/refresh/", clusters.cluster_refresh_view, name="cluster_refresh"),
    path("cluster/nodes/", clusters.nodes, name="nodes"),
    path("cluster/jnodes/", clusters.nodes_json, name="nodes_json"),
    path("cluster/popup/", clusters.instance_popup_view, name="instance_popup"),
    path("cluster/jobdetails/", jobs.job_detail_view, name="job_detail"),
    path("jobs/", jobs.jobs, name="jobs"),
    path("jobs/json/", jobs.jobs_json, name="jobs_json"),
    path("clearcache/", clusters.clear_cache, name="clear_cache"),
    # -- end clusters, nodes, jobs
    # -- console
    path(_instance + "novnc/", console.instance_console, name="instance_console"),
    path(_instance + "novnc-proxy/", console.instance_console_token, name="instance_console_token"),
    # -- end console
]
