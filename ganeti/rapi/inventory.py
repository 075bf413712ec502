"""Per-cluster snapshots of what the clusters hold, kept in the cache (Redis), read by every page.

One bulk RAPI call per cluster and kind (instances, nodes, groups, networks, jobs, info) makes a snapshot,
stored compressed with the time it was taken. Reading:
- a snapshot younger than INVENTORY_FRESH_SECONDS is served as it is;
- an older one, up to INVENTORY_STALE_SECONDS, is served while one refresh runs in the background
  (a single-flight lock in the cache, so one worker fetches and the others keep serving);
- a missing or older one is fetched before serving, all such clusters in parallel (gevent in the
  gunicorn and watcher processes, threads elsewhere), each bounded by the RAPI timeouts;
- a cluster that fails is reported as a ClusterError in the result while the others are served (with
  its last rows, if any); it is not asked again for INVENTORY_RETRY_SECONDS, so a dead cluster
  does not make every page wait for its timeout.
Every write through the app calls invalidate() for its cluster: a snapshot taken before that moment
is fetched again before it is served.

Each process keeps the objects built from the latest snapshot it read, keyed by the snapshot's
time, so a warm read costs one small cache round trip, not a decompression of every row.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils.translation import gettext as _

from ..selectors import cluster_list
from .client import GanetiApiError
from .connection import client_for
from .objects import INSTANCE_COLUMNS, ClusterRef, Instance, LiveInstance, Node, instance_values_from_bulk

__all__ = [
    "KINDS", "ClusterError", "InventoryResult", "describe_error", "find_instance", "instances", "invalidate",
    "gather", "live_instance",
    "nodes", "refresh", "rows",
]

log = logging.getLogger(__name__)



def _fetch_instances(client) -> list[list]:
    """The INSTANCE_COLUMNS of every instance, by /2/query; by the bulk GET where the query is refused:
    a Ganeti before 2.5 has no /2/query (404, 501), and without credentials /2/query answers 401
    where the bulk GET is open."""
    try:
        return client.query_values("instance", INSTANCE_COLUMNS)
    except GanetiApiError as exc:
        if exc.code not in (400, 401, 403, 404, 500, 501):
            raise
        return [instance_values_from_bulk(row) for row in client.get_instances(bulk=True)]


# What one call per cluster gives, trimmed to what pages use.
FETCHERS: dict[str, Callable[[Any], list]] = {
    "instances": _fetch_instances,
    "nodes": lambda client: client.get_nodes(bulk=True),
    "groups": lambda client: client.get_groups(bulk=True),
    "networks": lambda client: client.get_networks(bulk=True),
    # Bulk jobs carry every submitted opcode in full; the list needs their ids only.
    "jobs": lambda client: [{**job, "ops": [op.get("OP_ID") for op in job.get("ops") or []]}
                            for job in client.get_jobs(bulk=True)],
    # /2/info, as a one-row snapshot (the cluster info page): cached, refreshed, reported as the others.
    "info": lambda client: [client.get_info()],
}
KINDS = tuple(FETCHERS)
# Rows are kept this long after their fetch so that a cluster that stops answering still shows
# its last known state, with its age, instead of nothing.
ROWS_KEEP_SECONDS = 86400


@dataclass(frozen=True)
class ClusterError:
    """A cluster that did not answer. `message` is put into words, in the language of the request
    that reads it, only when shown; the cache keeps the kind, code and reason."""

    cluster: ClusterRef
    kind: str
    code: int | None = None
    reason: str = ""

    @property
    def message(self) -> str:
        return describe_error(self.kind, self.code, self.reason)

    def __str__(self) -> str:
        return f"{self.cluster.label}: {self.message}"


@dataclass
class InventoryResult:
    """Items of every cluster that answered (or whose last rows are kept), the errors of those that
    did not, and each cluster's data age in seconds."""

    items: list = field(default_factory=list)
    errors: list[ClusterError] = field(default_factory=list)
    ages: dict[str, float] = field(default_factory=dict)
    # Per cluster slug, the time of the snapshot its items come from: what derived data (a sorted
    # list, a search index) can be remembered under, since the items of one snapshot never change.
    versions: dict[str, float] = field(default_factory=dict)

    @property
    def failed_clusters(self) -> list[ClusterRef]:
        return [error.cluster for error in self.errors]


def describe_error(kind: str, code: int | None = None, reason: str = "") -> str:
    """What to tell a user about a cluster that failed."""
    if kind == "timeout":
        return _("The cluster did not answer in time.")
    if kind == "connection":
        return _("The cluster cannot be reached (%(reason)s).") % {"reason": reason}
    if kind == "tls":
        return _("The cluster's certificate was refused (%(reason)s).") % {"reason": reason}
    if kind == "bad_response":
        return _("The cluster gave an answer that is not RAPI's.")
    if kind == "internal":
        return _("ganetimgr cannot use this cluster (%(reason)s).") % {"reason": reason}
    if code == 401:
        return _("The cluster refused the RAPI user name or password.")
    if code == 403:
        return _("The RAPI user is not allowed to do this.")
    return _("The cluster answered with an error: %(error)s") % {"error": f"{code} {reason}".strip()}


# -- public reads ----------------------------------------------------------------------------------


def instances(clusters=None, *, user=None) -> InventoryResult:
    """Instances of the given (default: every enabled) clusters; with `user`, only those the user
    owns directly or through one of their groups."""
    result = _collect("instances", clusters)
    if user is not None:
        group_names = frozenset(user.groups.values_list("name", flat=True))
        result.items = [instance for instance in result.items if instance.is_owned_by(user.username, group_names)]
    return result


def nodes(clusters=None) -> InventoryResult:
    return _collect("nodes", clusters)


def rows(kind: str, clusters=None) -> InventoryResult:
    """Rows of groups, networks, jobs or info (one row: /2/info) as RAPI gives them, each with a
    "cluster" key (a ClusterRef). They are shared between requests: do not modify them."""
    if kind not in ("groups", "networks", "jobs", "info"):
        raise ValueError(f"no row inventory of {kind!r}")
    return _collect(kind, clusters)


def find_instance(cluster, name: str) -> Instance | None:
    """One instance from its cluster's snapshot (None if that cluster does not have it)."""
    for instance in _collect("instances", [cluster]).items:
        if instance.name == name:
            return instance
    return None


def live_instance(cluster, name: str) -> LiveInstance | None:
    """One instance read now from its cluster, not from the snapshot; None when the cluster does not
    have it. Raises GanetiApiError when the cluster fails."""
    try:
        row = client_for(cluster).get_instance(name)
    except GanetiApiError as exc:
        if exc.code == 404:
            return None
        raise
    return LiveInstance(ClusterRef.of(cluster), row, settings.GANETI_TAG_PREFIX)


# -- writes ----------------------------------------------------------------------------------------


def invalidate(cluster, kinds: Iterable[str] = KINDS) -> None:
    """After a change through the app: a snapshot taken before now is fetched again before it is
    served (and its rows stay, in case the cluster does not answer)."""
    now = time.time()
    cache.set_many({_key(cluster.pk, kind, "invalidated"): now for kind in kinds}, timeout=ROWS_KEEP_SECONDS)


def refresh(clusters=None, kinds: Iterable[str] = ("instances", "nodes")) -> dict[str, ClusterError | int]:
    """Fetch now, whatever the snapshots' age (the pre-warming command): per "slug/kind", the number
    of rows stored or the error."""
    clusters = list(cluster_list() if clusters is None else clusters)
    tasks = [(cluster, kind) for cluster in clusters for kind in kinds]
    outcomes = _parallel([lambda c=cluster, k=kind: _fetch_and_store(c, k) for cluster, kind in tasks],
                         timeout=_fetch_bound())
    report: dict[str, ClusterError | int] = {}
    for (cluster, kind), outcome in zip(tasks, outcomes):
        if outcome is None:  # it did not end in time, or another worker held the lock to the end
            outcome = _store_error(cluster, kind, _TIMEOUT)
        report[f"{cluster.slug}/{kind}"] = outcome
    return report


# -- the machinery ---------------------------------------------------------------------------------

# Objects built from the last snapshot this process read: (pk, kind) -> (fetched_at, ClusterRef, items).
_built: dict[tuple[int, str], tuple[float, ClusterRef, list]] = {}
_TIMEOUT = GanetiApiError("No answer within the timeout.", kind="timeout")


def _key(pk: int, kind: str, part: str) -> str:
    return f"inventory:{pk}:{kind}:{part}"


def _fetch_bound() -> float:
    """The longest one cluster may take: connecting, plus reading a bulk answer."""
    return settings.RAPI_CONNECT_TIMEOUT + settings.RAPI_RESPONSE_TIMEOUT + 1


def _state(clusters, kind: str) -> dict[int, tuple[dict, float]]:
    """Per cluster: its snapshot's meta ({} when none) and when it was last invalidated (0 if never)."""
    keys = [_key(cluster.pk, kind, part) for cluster in clusters for part in ("meta", "invalidated")]
    found = cache.get_many(keys)
    return {cluster.pk: (found.get(_key(cluster.pk, kind, "meta")) or {},
                         found.get(_key(cluster.pk, kind, "invalidated")) or 0) for cluster in clusters}


def _needs_fetch(meta: dict, invalidated_at: float, now: float) -> str | None:
    """"now" (fetch before serving), "background" (serve, and refresh), or None (serve as it is)."""
    if meta.get("error_at") and now - meta["error_at"] < settings.INVENTORY_RETRY_SECONDS:
        return None  # it failed a moment ago: report that, do not wait for it again
    fetched_at = meta.get("fetched_at")
    if not fetched_at or fetched_at < invalidated_at or now - fetched_at > settings.INVENTORY_STALE_SECONDS:
        return "now"
    if now - fetched_at > settings.INVENTORY_FRESH_SECONDS:
        return "background"
    return None


def _collect(kind: str, clusters, *, retry_missing_rows: bool = True) -> InventoryResult:
    clusters = list(cluster_list() if clusters is None else clusters)
    now = time.time()
    state = _state(clusters, kind)
    decisions = {cluster.pk: _needs_fetch(*state[cluster.pk], now) for cluster in clusters}
    to_fetch = [cluster for cluster in clusters if decisions[cluster.pk] == "now"]
    if to_fetch:
        outcomes = _parallel([lambda c=cluster: _fetch_single_flight(c, kind) for cluster in to_fetch],
                             timeout=_fetch_bound())
        # One killed at the bound is remembered, so the next page does not wait for it again.
        outcomes = [_store_error(cluster, kind, _TIMEOUT) if outcome is None else outcome
                    for cluster, outcome in zip(to_fetch, outcomes)]
        fetched = _state(to_fetch, kind)
        for cluster, outcome in zip(to_fetch, outcomes):
            if not fetched[cluster.pk][0]:  # the cache kept nothing (Redis away): serve what this fetch found
                fetched[cluster.pk] = (_meta_of(cluster, kind, outcome, now), 0)
        state.update(fetched)
    for cluster in clusters:
        if decisions[cluster.pk] == "background":
            _in_background(lambda c=cluster: _fetch_and_store(c, kind, only_if_unlocked=True))

    result = InventoryResult()
    missing_rows = []
    for cluster in clusters:
        ref = ClusterRef.of(cluster)
        meta = state[cluster.pk][0]
        if meta.get("error_at") and meta["error_at"] >= meta.get("fetched_at", 0):
            error = meta["error"]
            result.errors.append(ClusterError(ref, error["kind"], error.get("code"), error.get("reason", "")))
        elif not meta:
            result.errors.append(ClusterError(ref, "timeout"))
        if meta.get("fetched_at"):
            items = _items(cluster.pk, ref, kind, meta["fetched_at"])
            if items is None:
                missing_rows.append(cluster)  # evicted from the cache: fetch them again
                continue
            result.items.extend(items)
            result.ages[cluster.slug] = now - meta["fetched_at"]
            result.versions[cluster.slug] = _built[(cluster.pk, kind)][0]
    if missing_rows and retry_missing_rows:
        cache.delete_many([_key(cluster.pk, kind, "meta") for cluster in missing_rows])
        retry = _collect(kind, missing_rows, retry_missing_rows=False)
        result.items.extend(retry.items)
        result.errors.extend(retry.errors)
        result.ages.update(retry.ages)
        result.versions.update(retry.versions)
    return result


def _meta_of(cluster, kind: str, outcome: ClusterError | int, now: float) -> dict:
    """The meta a snapshot store would have written for this fetch's outcome."""
    if isinstance(outcome, ClusterError):
        return {"error_at": now, "error": {"kind": outcome.kind, "code": outcome.code, "reason": outcome.reason}}
    built = _built.get((cluster.pk, kind))
    return {"fetched_at": built[0], "rows": outcome} if built else {}


def _items(pk: int, ref: ClusterRef, kind: str, fetched_at: float) -> list | None:
    """The objects of one snapshot, built once per process and snapshot; None if its rows are gone."""
    built = _built.get((pk, kind))
    if built and built[0] == fetched_at and built[1] == ref:
        return built[2]
    blob = cache.get(_key(pk, kind, "rows"))
    if blob is None:
        return None
    with _gc_paused():
        data = orjson.loads(zlib.decompress(blob))  # may be a newer snapshot than the meta said: fine too
        items = _build(ref, kind, data["rows"])
    built = _built.get((pk, kind))
    if built and built[0] == data["fetched_at"] and built[1] == ref:
        return built[2]  # another greenlet built the same snapshot meanwhile: one set of objects per process
    _built[(pk, kind)] = (data["fetched_at"], ref, items)
    return items


def _build(ref: ClusterRef, kind: str, rows: list) -> list:
    if kind == "instances":
        prefix = settings.GANETI_TAG_PREFIX
        return [Instance(ref, row, prefix) for row in rows]
    if kind == "nodes":
        return [Node(ref, row) for row in rows]
    return [{**row, "cluster": ref} for row in rows]


def _fetch_single_flight(cluster, kind: str) -> ClusterError | int | None:
    """Fetch, unless another worker is fetching the same snapshot: then wait for its result, and
    fetch anyway if what it stored was taken before the last invalidation."""
    outcome = _fetch_and_store(cluster, kind, only_if_unlocked=True)
    if outcome is not None:
        return outcome
    lock_key = _key(cluster.pk, kind, "lock")
    deadline = time.monotonic() + _fetch_bound()
    while time.monotonic() < deadline and cache.get(lock_key) is not None:
        time.sleep(0.05)
    meta, invalidated_at = _state([cluster], kind)[cluster.pk]
    if meta.get("fetched_at", 0) >= invalidated_at and meta:
        return meta.get("rows", 0)
    return _fetch_and_store(cluster, kind)


def _fetch_and_store(cluster, kind: str, *, only_if_unlocked: bool = False) -> ClusterError | int | None:
    """One call, stored as the cluster's snapshot: the number of rows, or the error (also stored,
    with the last good rows kept). None when another worker holds the lock and only_if_unlocked."""
    lock_key = _key(cluster.pk, kind, "lock")
    token = secrets.token_hex(8)
    locked = cache.add(lock_key, token, timeout=int(_fetch_bound()) + 5)
    if not locked and only_if_unlocked:
        return None
    meta_key = _key(cluster.pk, kind, "meta")
    try:
        started = time.time()
        with _gc_paused():
            try:
                fetched = FETCHERS[kind](client_for(cluster))
            except GanetiApiError as exc:
                return _store_error(cluster, kind, exc)
            except (TypeError, KeyError, AttributeError, ValueError) as exc:  # JSON, but not RAPI's shapes
                return _store_error(cluster, kind, GanetiApiError(f"{exc!r:.100}", kind="bad_response"))
            except Exception as exc:  # e.g. a RAPI password no key decrypts: this cluster fails, not the page
                log.exception("cluster %s: %s fetch failed", cluster.slug, kind)
                return _store_error(cluster, kind, GanetiApiError(f"{exc.__class__.__name__}: {exc}"[:200],
                                                                  kind="internal"))
            current = cache.get(meta_key) or {}
            if current.get("fetched_at", 0) > started:
                return len(fetched)  # a newer snapshot landed meanwhile: keep it
            blob = zlib.compress(orjson.dumps({"fetched_at": started, "rows": fetched}), 1)
            cache.set(_key(cluster.pk, kind, "rows"), blob, timeout=ROWS_KEEP_SECONDS)
            cache.set(meta_key, {"fetched_at": started, "rows": len(fetched)}, timeout=ROWS_KEEP_SECONDS)
            # This process reads it next: keep the objects rather than reading the blob back.
            ref = ClusterRef.of(cluster)
            _built[(cluster.pk, kind)] = (started, ref, _build(ref, kind, fetched))
        log.debug("cluster %s: %d %s in %.2f s", cluster.slug, len(fetched), kind, time.time() - started)
        return len(fetched)
    finally:
        if locked and cache.get(lock_key) == token:  # not another worker's, taken after ours expired
            cache.delete(lock_key)


def _store_error(cluster, kind: str, exc: GanetiApiError) -> ClusterError:
    """Remember the failure beside the last good rows, so pages report it without asking again."""
    log.warning("cluster %s: %s fetch failed: %s", cluster.slug, kind, exc)
    error = ClusterError(ClusterRef.of(cluster), exc.kind, exc.code, exc.message)
    meta_key = _key(cluster.pk, kind, "meta")
    meta = cache.get(meta_key) or {}
    meta.update(error_at=time.time(), error={"kind": error.kind, "code": error.code, "reason": error.reason})
    cache.set(meta_key, meta, timeout=ROWS_KEEP_SECONDS)
    return error


# Parsing and building tens of thousands of rows allocates hundreds of thousands of objects, which
# makes the collector walk the whole heap again and again (it once took 3/4 of a cold fetch). These
# rows hold no reference cycles, so nothing is lost by not collecting while one fetch (bounded by
# the RAPI timeouts) or one snapshot read runs.
_gc_pause = {"depth": 0, "was_enabled": True}
_gc_pause_lock = threading.Lock()


@contextlib.contextmanager
def _gc_paused():
    with _gc_pause_lock:
        if _gc_pause["depth"] == 0:
            _gc_pause["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_pause["depth"] += 1
    try:
        yield
    finally:
        with _gc_pause_lock:
            _gc_pause["depth"] -= 1
            if _gc_pause["depth"] == 0 and _gc_pause["was_enabled"]:
                gc.enable()


# -- concurrency: gevent where the process is patched (gunicorn, watcher), threads elsewhere --------


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("socket")


def _as_worker(function: Callable[[], Any]) -> Callable[[], Any]:
    """`function` for a thread or greenlet of ours: it closes the database connection it may have
    opened (pinning a certificate writes it), which nothing else would."""
    def run():
        try:
            return function()
        finally:
            connections.close_all()
    return run


def _parallel(functions: list[Callable[[], Any]], timeout: float) -> list[Any]:
    """Run the functions at once; the results in order, None for one that did not end in time."""
    if not functions:
        return []
    if _gevent_patched():
        import gevent

        greenlets = [gevent.spawn(_as_worker(function)) for function in functions]
        gevent.joinall(greenlets, timeout=timeout)
        for greenlet in greenlets:
            if not greenlet.ready():
                greenlet.kill(block=False)
        return [greenlet.value if greenlet.successful() else None for greenlet in greenlets]
    executor = ThreadPoolExecutor(max_workers=min(len(functions), 32), thread_name_prefix="inventory")
    futures = [executor.submit(_as_worker(function)) for function in functions]
    deadline = time.monotonic() + timeout
    results = []
    for future in futures:
        try:
            results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
        except FuturesTimeout:
            results.append(None)
    executor.shutdown(wait=False)
    return results


def gather(*functions: Callable[[], Any]) -> list[Any]:
    """The functions' results, run at once in a gevent-patched process (a gunicorn worker), so that the
    cluster requests they make share one round; one after the other elsewhere. An exception is raised."""
    if not _gevent_patched():
        return [function() for function in functions]
    import gevent

    greenlets = [gevent.spawn(_as_worker(function)) for function in functions]
    gevent.joinall(greenlets, raise_error=True)
    return [greenlet.value for greenlet in greenlets]


def _in_background(function: Callable[[], Any]) -> None:
    if _gevent_patched():
        import gevent

        gevent.spawn(_as_worker(function))
    else:
        threading.Thread(target=_as_worker(function), daemon=True, name="inventory-refresh").start()
