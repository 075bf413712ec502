"""Helpers of the cluster info, nodes and jobs tests: several simulated clusters started once per
module, and the roles' clients. Fixtures stay in the test modules (never imported by name)."""

from contextlib import ExitStack

from django.contrib.auth.models import Permission

from tests.helpers import add_cluster
from tests.simulator import start_simulator


def start_simulators(stack: ExitStack, tmp_dir, count: int, *, first: int = 0, **options) -> list:
    """`count` simulators (cluster<i>.sim<i>.test from i = first: nodes node<n>.sim<i>.test), stopped when
    `stack` closes; started one after the other (each waits for its listening line)."""
    sims = []
    for index in range(first, first + count):
        sim = start_simulator(tmp_dir, cluster_name=f"cluster{index}.sim{index}.test", seed=index + 1,
                              job_duration_ms=0, **options)
        stack.callback(sim.stop)
        sims.append(sim)
    return sims


def make_helpdesk(django_user_model, username="hal"):
    helpdesk = django_user_model.objects.create_user(username, f"{username}@example.org", f"{username}-secret-pw")
    helpdesk.user_permissions.add(Permission.objects.get(codename="view_instances"))
    return helpdesk


def register_clusters(sims) -> list:
    """The simulators as clusters c0, c1, ... (no fault left by an earlier test)."""
    for sim in sims:
        sim.set_faults(mode=None)
    return [add_cluster(sim, f"c{index}") for index, sim in enumerate(sims)]


def logged_in_helpdesk(client, django_user_model):
    helpdesk = make_helpdesk(django_user_model)
    client.force_login(helpdesk)
    return helpdesk
