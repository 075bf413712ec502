"""Instance graphs: PNGs of an external grapher (GRNET's vima-grapher or alike, fed by collectd)
at COLLECTD_URL/<instance>/<cpu-ts|net-ts>.png/<start>,<end>[/eth<N>], proxied so the browser never
needs to reach the grapher. Nothing from the request reaches the grapher unchecked, and anything that
goes wrong there (no answer in GRAPH_TIMEOUT, an error, a body that is not an image) gives NODATA_IMAGE.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import quote

import requests
from django.conf import settings
from django.contrib.staticfiles import finders

__all__ = ["GRAPH_TYPES", "GraphRequestError", "MAX_RANGE_DAYS", "fetch_graph", "graph_range", "graph_url",
           "nic_index", "nodata_image"]

log = logging.getLogger(__name__)

GRAPH_TYPES = ("cpu-ts", "net-ts")
MAX_RANGE_DAYS = 900
# Image types passed through; SVG is not among them (it can carry scripts).
IMAGE_TYPES = frozenset({"image/png", "image/gif", "image/jpeg", "image/webp"})
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_NICS = 32
_DAY = 86400


class GraphRequestError(ValueError):
    """A graph request whose parameters are not acceptable (the view answers 400)."""


def _epoch(value: str, name: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 11):
        raise GraphRequestError(f"{name} must be seconds since the epoch")
    return int(value)


def graph_range(start: str | None, end: str | None, *, now: float | None = None) -> tuple[int, int]:
    """(start, end) in seconds since the epoch: the last 24 hours by default; start before end, the
    range at most MAX_RANGE_DAYS long and within MAX_RANGE_DAYS before now, end at most a day ahead."""
    now = int(time.time() if now is None else now)
    end_s = now if end in (None, "") else _epoch(end, "end")
    start_s = end_s - _DAY if start in (None, "") else _epoch(start, "start")
    if start_s >= end_s:
        raise GraphRequestError("start must be before end")
    if end_s > now + _DAY:
        raise GraphRequestError("end is in the future")
    if start_s < now - (MAX_RANGE_DAYS + 1) * _DAY:
        raise GraphRequestError(f"start is more than {MAX_RANGE_DAYS} days ago")
    return start_s, end_s


def nic_index(value: str | None, graph_type: str, nic_count: int) -> int | None:
    """The network interface of a net-ts graph (default 0, one the instance has); None for cpu-ts,
    which takes none."""
    if graph_type != "net-ts":
        if value not in (None, ""):
            raise GraphRequestError("only network graphs take a nic")
        return None
    if value in (None, ""):
        return 0
    if not (value.isascii() and value.isdigit() and len(value) <= 2):
        raise GraphRequestError("nic must be a network interface number")
    index = int(value)
    if index >= min(max(nic_count, 1), MAX_NICS):
        raise GraphRequestError("the instance has no such network interface")
    return index


def graph_url(instance_name: str, graph_type: str, start: int, end: int, nic: int | None) -> str:
    """The grapher's URL of one graph."""
    if graph_type not in GRAPH_TYPES:
        raise GraphRequestError("unknown graph type")
    url = f"{settings.COLLECTD_URL}/{quote(instance_name, safe='')}/{graph_type}.png/{start},{end}"
    return url if nic is None else f"{url}/eth{nic}"


def fetch_graph(url: str) -> tuple[bytes, str] | None:
    """(body, content type) of the grapher's image, or None when it gave none in GRAPH_TIMEOUT seconds
    (the whole answer, not each read), answered an error, or sent something that is not an image."""
    timeout = settings.GRAPH_TIMEOUT
    deadline = time.monotonic() + timeout
    try:
        with requests.get(url, timeout=(timeout, timeout), stream=True, allow_redirects=False) as response:
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if response.status_code != 200 or content_type not in IMAGE_TYPES:
                log.warning("graph %s: the grapher answered %s %s", url, response.status_code, content_type or "-")
                return None
            body = bytearray()
            for chunk in response.iter_content(65536):
                body += chunk
                if len(body) > MAX_IMAGE_BYTES or time.monotonic() > deadline:
                    log.warning("graph %s: the image is too large or too slow", url)
                    return None
    except requests.RequestException as exc:
        log.warning("graph %s: %s", url, exc)
        return None
    if not body:
        return None
    return bytes(body), content_type


_nodata: dict[str, tuple[bytes, str]] = {}
_TYPES_BY_SUFFIX = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                    ".webp": "image/webp", ".svg": "image/svg+xml"}


def nodata_image() -> tuple[bytes, str]:
    """NODATA_IMAGE's bytes and content type: a path under the static files, or an absolute file path
    (read once per process)."""
    name = settings.NODATA_IMAGE
    if name not in _nodata:
        path = Path(name) if Path(name).is_absolute() else Path(finders.find(name) or "")
        try:
            body = path.read_bytes()
        except OSError:
            log.error("NODATA_IMAGE %s cannot be read; using the shipped one", name)
            path = Path(finders.find("ganetimgr/img/nodata.png"))
            body = path.read_bytes()
        _nodata[name] = (body, _TYPES_BY_SUFFIX.get(path.suffix.lower(), "application/octet-stream"))
    return _nodata[name]
