"""Where an instance's VNC console listens, as far as RAPI tells (rapi-spec.md §7).

A KVM instance with VNC bound (`vnc_bind_address` hvparam: 0.0.0.0, ::, or an address) listens on its
primary node at `network_port`; /2/instances/<name>/console reports that only when the serial console is
off (KVM's precedence: ssh, vnc, spice, msg), so the hvparams come first and the console answer second.
A wildcard bind address means "the primary node's address" (`pip`, read live from the node).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .client import GanetiApiError

WILDCARDS = {"0.0.0.0", "::", "::0", "*"}


@dataclass(frozen=True)
class ConsoleTarget:
    """kind: "vnc" (host, port set), or why not: "serial", "spice", "message", "unavailable"; `message`
    is what Ganeti said (or our explanation)."""

    kind: str
    host: str = ""
    port: int = 0
    message: str = ""

    @property
    def is_vnc(self) -> bool:
        return self.kind == "vnc"


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def _node_address(client, node_name: str) -> str:
    return client.get_node(node_name).get("pip") or ""


def _vnc_at(client, instance, bind: str, port) -> ConsoleTarget:
    if not port:
        return ConsoleTarget("unavailable", message="The instance has no VNC port.")
    if _loopback(bind):
        return ConsoleTarget("unavailable", message="VNC listens on the node's loopback address (%s) only." % bind)
    host = _node_address(client, instance.pnode) if bind in WILDCARDS else bind
    if not host:
        return ConsoleTarget("unavailable", message="The primary node's address is unknown.")
    return ConsoleTarget("vnc", host=host, port=int(port))


def vnc_target(client, instance) -> ConsoleTarget:
    """The VNC endpoint of a live instance (ganeti.rapi.objects.LiveInstance), or why there is none.
    Raises GanetiApiError only when the cluster fails outright (not for the console's 503)."""
    bind = (instance.hvparams.get("vnc_bind_address") or "").strip()
    if bind:
        return _vnc_at(client, instance, bind, instance.network_port)
    try:
        answer = client.get_console(instance.name)
    except GanetiApiError as exc:
        if exc.code == 503:
            return ConsoleTarget("unavailable", message=str(exc))
        raise
    kind = answer.get("kind")
    if kind == "vnc":
        return _vnc_at(client, instance, str(answer.get("host") or ""), answer.get("port"))
    if kind == "ssh":
        command = " ".join(answer.get("command") or ())
        return ConsoleTarget("serial", message="ssh -p %s %s@%s %s" % (
            answer.get("port") or 22, answer.get("user") or "root", answer.get("host") or instance.pnode, command))
    if kind == "spice":
        return ConsoleTarget("spice", message="SPICE at %s:%s" % (answer.get("host"), answer.get("port")))
    return ConsoleTarget("message", message=str(answer.get("message") or ""))
