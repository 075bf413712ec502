"""python -m ganetisim: serve one simulated Ganeti cluster until SIGTERM or SIGINT."""

import argparse
import ipaddress
import signal
import sys
import threading

from ganetisim.server import FAULT_MODES
from ganetisim.simulator import Simulator


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ganetisim", description=__doc__)
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    add("--port", type=int, default=5080, help="port; 0 picks a free one (default 5080)")
    add("--tls", action="store_true", help="serve HTTPS with a self-signed certificate made at start")
    add("--tls-cert", help="with --tls: PEM file of key and certificate, made there when missing "
        "(keeps the certificate across restarts, as a real cluster does)")
    add("--users-file", help="Ganeti RAPI users file: 'name password [read|write]' lines")
    add("--require-authentication", action="store_true",
        help="every request needs credentials, GETs too (as Debian runs ganeti-rapi)")
    add("--cluster-name", default="cluster.ganeti.test")
    add("--nodes", type=int, default=3)
    add("--groups", type=int, default=1)
    add("--networks", type=int, default=1)
    add("--instances", type=int, default=20)
    add("--jobs", type=int, default=0, help="start with this many finished jobs of the last 6 hours (a mix of "
        "successful, failed and canceled instance actions; not when --state is loaded)")
    add("--owners", default="", help="comma-separated users owning instances (tag <prefix>:user:<name>)")
    add("--owner-groups", default="", help="comma-separated groups owning some instances (<prefix>:group:<name>)")
    add("--tag-prefix", default="ganetimgr")
    add("--latency-ms", type=float, default=0, help="added to every RAPI request")
    add("--job-duration-ms", type=float, default=600,
        help="scale of job run times; the default gives Ganeti's ~0.3-1.5 s (0 = immediate)")
    add("--wait-timeout", type=float, default=10, help="longest /2/jobs/<id>/wait long poll in s (Ganeti: 10)")
    add("--vnc", metavar="NETWORK", help="serve a VNC screen for every running instance: the nodes' addresses "
        "become hosts of this loopback network (e.g. 127.77.0.0/24), each screen listens on its primary node's "
        "address and the instance's network_port")
    add("--seed", type=int, default=1)
    add("--state", help="state file: loaded at start when it exists, saved at exit and on PUT /__ganetisim__/save")
    add("--fault", choices=[m for m in FAULT_MODES if m], help="start with this fault injected")
    add("--fault-paths", help="regular expression: inject --fault only for matching paths")
    options = parser.parse_args(argv)
    if options.nodes < 1 or options.groups < 1 or options.groups > options.nodes:
        parser.error("need at least one node, and no more groups than nodes")
    if options.instances < 0 or options.networks < 0 or options.jobs < 0:
        parser.error("--instances, --networks and --jobs cannot be negative")
    if options.vnc:
        try:
            if not ipaddress.ip_network(options.vnc).is_loopback:
                parser.error("--vnc needs a loopback network such as 127.77.0.0/24")
        except ValueError as error:
            parser.error("--vnc: %s" % error)
    return options


def main(argv=None):
    options = parse_args(argv)
    sim = Simulator(options)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    sim.serve()
    if sim.fingerprint:
        print("ganetisim: certificate SHA-256 fingerprint %s" % sim.fingerprint)
    if sim.vnc:
        print("ganetisim: VNC screens on %s (%d running instances)" % (sim.vnc.network, len(sim.vnc.servers)))
    print("ganetisim: listening on %s (%d instances, %d nodes)"
          % (sim.url, len(sim.cluster.instances), len(sim.cluster.nodes)), flush=True)
    stop.wait()
    sim.stop()
    print("ganetisim: stopped%s" % (" (state saved to %s)" % sim.state_path if sim.state_path else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
