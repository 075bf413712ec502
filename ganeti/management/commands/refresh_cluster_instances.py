"""Pre-warm the inventory (the original's cron job): fetch every enabled cluster's snapshots now."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from ganeti.rapi import inventory
from ganeti.rapi.inventory import ClusterError
from ganeti.selectors import cluster_list


class Command(BaseCommand):
    help = ("Fetch the instances and nodes of every enabled cluster (or of the named ones) into the cache, "
            "so that pages find them warm. Exits 1 when a cluster did not answer.")

    def add_arguments(self, parser):
        parser.add_argument("clusters", nargs="*", metavar="CLUSTER", help="slug or hostname; default: every enabled cluster")
        parser.add_argument("--kinds", default="instances,nodes",
                            help=f"comma-separated, of {', '.join(inventory.KINDS)} (default: instances,nodes)")

    def handle(self, *args, clusters, kinds, **options):
        kinds = [kind.strip() for kind in kinds.split(",") if kind.strip()]
        unknown = sorted(set(kinds) - set(inventory.KINDS))
        if unknown or not kinds:
            raise CommandError(f"unknown kind(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(inventory.KINDS)}")
        selected = cluster_list()
        if clusters:
            selected = selected.filter(Q(slug__in=clusters) | Q(hostname__in=clusters))
            missing = set(clusters) - {c.slug for c in selected} - {c.hostname for c in selected}
            if missing:
                raise CommandError(f"no enabled cluster named {', '.join(sorted(missing))}")
        failed = 0
        for target, outcome in inventory.refresh(list(selected), kinds).items():
            if isinstance(outcome, ClusterError):
                failed += 1
                self.stderr.write(f"{target}: {outcome.message}")
            elif options["verbosity"] >= 1:
                self.stdout.write(f"{target}: {outcome}")
        if failed:
            raise SystemExit(1)
