"""Helpers of the cluster info, nodes and jobs tests (H7a): several simulated clusters started once per
module, and the roles' clients. Fixtures stay in the test modules (never imported by name)."""

from contextlib import ExitStack

from django.contrib.auth.models import Permission

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


def reset_faults(sims) -> None:
    for sim in sims:
        sim.set_faults(mode=None)
