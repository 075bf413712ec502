"""The operating system catalogue: what the application form offers and what a create request installs.

The catalogue is the static OPERATING_SYSTEMS setting plus images discovered on HTTP directory indexes:
- IMAGES_URL: `.meta` files (JSON: description, provider, osparams, optional ssh_key_param/ssh_key_users);
- OPERATING_SYSTEMS_URLS: ganeti-instance-image files (*.tar.gz, *.img, *-root.dump), described by <file>.dsc;
- SNF_OPERATING_SYSTEMS_URLS: snf-image disk images (*.img), described by <file>.dsc.
Discovery is cached in the Django cache (Redis); an index server that fails is skipped with a logged
warning and the catalogue is retried sooner, so the form keeps working on the static list.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import posixpath
import re
from urllib.parse import unquote, urljoin, urlsplit

import requests
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.cache import cache

from accounts.selectors import ssh_keys_of

__all__ = ["operating_systems", "os_choices", "os_create_params", "UnknownOperatingSystem", "invalidate"]

logger = logging.getLogger(__name__)

CACHE_KEY = "apply:os-catalogue"
# Architecture suffixes ganeti-instance-image adds itself: the image id is the name without them.
_ARCH_SUFFIX = re.compile(r"-(x86_64|amd64|i386|i686|x86|arm64|aarch64)$")
_IMAGE_FORMATS = ((".tar.gz", "tarball"), ("-root.dump", "dump"), (".img", "qemu"))


class UnknownOperatingSystem(KeyError):
    """The key names no OS of the catalogue (any more)."""

def operating_systems() -> dict[str, dict]:
    """The catalogue: key -> {"description", "provider", "osparams", ["ssh_key_param"], ["ssh_key_users"]}."""
    key = _cache_key()
    catalogue = cache.get(key)
    if catalogue is None:
        catalogue, complete = _build()
        timeout = settings.OS_CATALOGUE_CACHE_SECONDS if complete else settings.OS_CATALOGUE_RETRY_SECONDS
        cache.set(key, catalogue, timeout)
    return catalogue


def os_choices() -> list[tuple[str, str]]:
    """(key, description) pairs for a select, "none" first, then by description."""
    catalogue = operating_systems()
    return sorted(((k, v.get("description") or k) for k, v in catalogue.items()),
                  key=lambda kv: (kv[0] != "none", str(kv[1]).lower(), kv[0]))


def invalidate() -> None:
    """Forget the cached catalogue (the next read discovers the images again)."""
    cache.delete(_cache_key())


def os_create_params(key: str, *, application, ssh_keys_url: str) -> dict:
    """What a create request needs for the catalogue entry `key`: {"os_type": ..., "osparams": {...}}.

    The osparam named by ssh_key_param gets `ssh_keys_url`; ssh_key_users ("user[:group[:path]] ...")
    puts the applicant's keys in as snf-image img_personality entries. Values that are not strings are
    JSON-encoded, as Ganeti wants osparams to be strings. Without an application (reinstalling an
    instance that came from none) and its URL, no SSH keys are put in.
    """
    entry = operating_systems().get(key)
    if entry is None:
        raise UnknownOperatingSystem(key)
    osparams = dict(entry.get("osparams") or {})
    if entry.get("ssh_key_param") and ssh_keys_url:
        osparams[entry["ssh_key_param"]] = ssh_keys_url
    if entry.get("ssh_key_users") and application is not None:
        personality = _personality(entry["ssh_key_users"], _authorized_keys(application.applicant))
        if personality:
            existing = osparams.get("img_personality") or []
            if isinstance(existing, str):
                existing = json.loads(existing)
            osparams["img_personality"] = list(existing) + personality
    return {
        "os_type": entry["provider"],
        "osparams": {name: value if isinstance(value, str) else json.dumps(value) for name, value in osparams.items()},
    }


def _authorized_keys(user) -> str:
    return "".join(f"{key.line}\n" for key in ssh_keys_of(user))


def _personality(spec: str, keys: str) -> list[dict]:
    if not keys:
        return []
    contents = base64.b64encode(keys.encode()).decode("ascii")
    entries = []
    for item in str(spec).split():
        user, _sep, rest = item.partition(":")
        group, _sep, path = rest.partition(":")
        group = group or user
        if not path:
            path = "/root/.ssh/authorized_keys" if user == "root" else f"/home/{user}/.ssh/authorized_keys"
        entries.append({"path": path, "contents": contents, "owner": user, "group": group, "mode": 0o600})
    return entries


# -- discovery -------------------------------------------------------------------------------------

def _cache_key() -> str:
    """Changes with the settings that make the catalogue, so a new configuration is read at once."""
    sources = json.dumps([settings.OPERATING_SYSTEMS, settings.IMAGES_URL, settings.OPERATING_SYSTEMS_URLS,
                          settings.SNF_OPERATING_SYSTEMS_URLS, settings.IMG_META_SFX,
                          settings.OPERATING_SYSTEMS_PROVIDER, settings.SNF_OPERATING_SYSTEMS_PROVIDER],
                         sort_keys=True, default=str)
    return f"{CACHE_KEY}:{hashlib.sha256(sources.encode()).hexdigest()[:16]}"


def _build() -> tuple[dict[str, dict], bool]:
    catalogue = {key: dict(value) for key, value in settings.OPERATING_SYSTEMS.items()}
    complete = True
    for urls, discover in ((settings.IMAGES_URL, _discover_meta), (settings.OPERATING_SYSTEMS_URLS, _discover_image),
                           (settings.SNF_OPERATING_SYSTEMS_URLS, _discover_snf)):
        for url in urls:
            try:
                found = discover(_directory(url))
            except (requests.RequestException, ValueError) as exc:
                logger.warning("OS catalogue: %s cannot be read, its images are left out: %s", url, exc)
                complete = False
                continue
            for key, entry in found.items():
                catalogue.setdefault(key, entry)
    return catalogue, complete


class _Directory:
    """One directory index page: its URL and the file names it links to (in that directory)."""
    def __init__(self, url: str, names: list[str]):
        self.url = url
        self.names = names

    def fetch(self, name: str) -> str:
        return _get(urljoin(self.url, name)).text


def _get(url: str) -> requests.Response:
    response = requests.get(url, timeout=settings.OS_CATALOGUE_TIMEOUT)
    response.raise_for_status()
    return response


def _directory(url: str) -> _Directory:
    if not url.endswith("/"):
        url += "/"
    soup = BeautifulSoup(_get(url).text, "html.parser")
    base_path = urlsplit(url).path
    names = []
    for link in soup.find_all("a", href=True):
        target = urlsplit(urljoin(url, link["href"]))
        if target.query:
            continue  # Apache's sort links (?C=N;O=D)
        parent, name = posixpath.split(target.path)
        if posixpath.join(parent, "") != base_path or not name:
            continue  # parent directory, sub-directories, other hosts' links
        names.append(unquote(name))
    return _Directory(url, list(dict.fromkeys(names)))


def _describe(directory: _Directory, name: str, fallback: str) -> str:
    dsc = name + ".dsc"
    if dsc not in directory.names:
        return fallback
    try:
        text = directory.fetch(dsc).strip()
    except requests.RequestException as exc:
        logger.warning("OS catalogue: %s%s cannot be read: %s", directory.url, dsc, exc)
        return fallback
    return " ".join(text.split())[:255] or fallback


def _discover_meta(directory: _Directory) -> dict[str, dict]:
    suffix = settings.IMG_META_SFX
    found = {}
    for name in directory.names:
        if not name.endswith(suffix):
            continue
        key = name[: -len(suffix)]
        try:
            meta = json.loads(directory.fetch(name))
        except (requests.RequestException, ValueError) as exc:
            logger.warning("OS catalogue: %s%s is not a usable image description: %s", directory.url, name, exc)
            continue
        if not (isinstance(meta, dict) and isinstance(meta.get("osparams"), dict) and meta.get("provider")
                and meta["osparams"].get("img_id")):
            logger.warning("OS catalogue: %s%s lacks provider or osparams.img_id; skipped", directory.url, name)
            continue
        entry = {"description": str(meta.get("description") or _describe(directory, key, key)),
                 "provider": str(meta["provider"]), "osparams": dict(meta["osparams"])}
        for optional in ("ssh_key_param", "ssh_key_users"):
            if meta.get(optional):
                entry[optional] = str(meta[optional])
        found[key] = entry
    return found


def _discover_image(directory: _Directory) -> dict[str, dict]:
    """ganeti-instance-image: the image id is the file name without format and architecture suffixes."""
    found = {}
    for name in directory.names:
        for extension, img_format in _IMAGE_FORMATS:
            if name.endswith(extension):
                break
        else:
            continue
        stem = _ARCH_SUFFIX.sub("", name[: -len(extension)])
        osparams = {"img_format": img_format}
        if stem.startswith("nomount-"):
            stem = stem[len("nomount-"):]
            osparams["img_nomount"] = "yes"
        osparams["img_id"] = stem
        entry = {"description": _describe(directory, name, stem), "provider": settings.OPERATING_SYSTEMS_PROVIDER,
                 "osparams": osparams}
        if settings.OPERATING_SYSTEMS_SSH_KEY_PARAM:
            entry["ssh_key_param"] = settings.OPERATING_SYSTEMS_SSH_KEY_PARAM
        found.setdefault(stem, entry)
    return found


def _discover_snf(directory: _Directory) -> dict[str, dict]:
    """snf-image: disk images fetched by URL, the owner's keys put in root's authorized_keys."""
    found = {}
    for name in directory.names:
        if not name.endswith(".img"):
            continue
        key = "snf-" + name[: -len(".img")]
        osparams = {"img_id": "url:" + urljoin(directory.url, name), "img_format": "diskdump",
                    "img_properties": dict(settings.SNF_IMG_PROPERTIES)}
        if settings.SNF_IMG_PASSWD:
            osparams["img_passwd"] = settings.SNF_IMG_PASSWD
        found[key] = {"description": _describe(directory, name, name[: -len(".img")]),
                      "provider": settings.SNF_OPERATING_SYSTEMS_PROVIDER, "osparams": osparams,
                      "ssh_key_users": "root"}
    return found
