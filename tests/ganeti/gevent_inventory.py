"""`python -m tests.ganeti.gevent_inventory`, for test_inventory_in_a_gevent_worker_...: the inventory
as a gunicorn gevent worker runs it.

Argument: a JSON list of [slug, port, fingerprint] of simulators (user "writer"). Prints one JSON
line: the instances per cluster, the errors and the seconds the read took."""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from ganeti.models import Cluster  # noqa: E402
from ganeti.rapi import inventory  # noqa: E402
from ganeti.services import cluster_save  # noqa: E402

call_command("migrate", verbosity=0)
for slug, port, fingerprint in json.loads(sys.argv[1]):
    cluster_save(cluster=Cluster(hostname="127.0.0.1", port=port, slug=slug, username="writer",
                                 tls_fingerprint=fingerprint), new_password="writer-secret")
started = time.monotonic()
result = inventory.instances()
elapsed = time.monotonic() - started
counts = {}
for instance in result.items:
    counts[instance.cluster.slug] = counts.get(instance.cluster.slug, 0) + 1
print(json.dumps({"counts": counts, "errors": [[e.cluster.slug, e.kind] for e in result.errors],
                  "seconds": elapsed, "patched": inventory._gevent_patched()}))
