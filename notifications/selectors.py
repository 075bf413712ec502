"""Reads of the notifications app: recipient ids, the recipient lookup, and the resolution of the chosen
ids into one mail per address with the instances that concern it.

Recipient ids (the original's, made unambiguous): `u_<user pk>`, `g_<group pk>`, `c_<cluster slug>`,
`i_<cluster slug>/<instance>`, `n_<cluster slug>/<node>`, `ng_<cluster slug>/<node group>`. The kind is
what stands before the first underscore, so `ng_` is never read as `n_` (the original's bug).
Instances, nodes and node groups come from the inventory snapshots, never from RAPI calls per instance.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ganeti.rapi import inventory
from ganeti.selectors import cluster_list

from .models import Notification

__all__ = ["LOOKUP_TYPES", "RecipientId", "RecipientInstance", "Recipient", "Resolution", "parse_recipient_id",
           "recipient_choices", "lookup", "resolve_recipients", "archive", "MIN_QUERY"]

# The lookup's ?type= values and the id prefix of what each finds.
LOOKUP_TYPES = {"users": "u", "groups": "g", "instances": "i", "clusters": "c", "nodes": "n", "nodegroups": "ng"}
TYPE_LABELS = {"u": gettext_lazy("User"), "g": gettext_lazy("Group"), "i": gettext_lazy("Instance"),
               "c": gettext_lazy("Cluster"), "n": gettext_lazy("Node"), "ng": gettext_lazy("Node group")}
MIN_QUERY = 2
LOOKUP_LIMIT = 20
# How many names a note lists before it says "and N more".
NOTE_NAMES = 10

_PK = re.compile(r"[0-9]{1,18}\Z")
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}\Z")
_NAME = re.compile(r"[^/\x00-\x1f\x7f]{1,255}\Z")


@dataclass(frozen=True)
class RecipientId:
    kind: str  # u, g, i, c, n, ng
    value: str  # the pk, the cluster slug, or "<slug>/<name>"

    @property
    def raw(self) -> str:
        return f"{self.kind}_{self.value}"

    @property
    def cluster_slug(self) -> str:
        return self.value.partition("/")[0]

    @property
    def name(self) -> str:
        return self.value.partition("/")[2]


def parse_recipient_id(raw: str) -> RecipientId | None:
    """The id, or None when it is not one."""
    kind, sep, value = (raw or "").strip().partition("_")
    if not sep:
        return None
    if kind in ("u", "g"):
        return RecipientId(kind, value) if _PK.match(value) else None
    if kind == "c":
        return RecipientId(kind, value) if _SLUG.match(value) else None
    if kind in ("i", "n", "ng"):
        slug, slash, name = value.partition("/")
        return RecipientId(kind, value) if slash and _SLUG.match(slug) and _NAME.match(name) else None
    return None


@dataclass(frozen=True)
class RecipientInstance:
    """What a body's `instances` holds: `{{ instance }}` is its name."""

    name: str
    cluster: str
    cluster_slug: str
    node: str
    status: str

    def __str__(self) -> str:
        return self.name

    @classmethod
    def of(cls, instance) -> RecipientInstance:
        return cls(instance.name, instance.cluster.label, instance.cluster.slug, instance.pnode, instance.status)


@dataclass
class Recipient:
    """One address: one mail. `user` is the (first) user with that address."""

    email: str
    user: object
    users: list = field(default_factory=list)
    instances: list[RecipientInstance] = field(default_factory=list)


@dataclass
class Resolution:
    recipients: list[Recipient] = field(default_factory=list)
    # Ids that could not be resolved (unknown, a cluster that did not answer): nothing may be sent.
    problems: list[str] = field(default_factory=list)
    # Who is left out, and why (inactive, no e-mail address, instances without owners): sending is fine.
    notes: list[str] = field(default_factory=list)


def _names(names) -> str:
    names = sorted(names)
    text = ", ".join(names[:NOTE_NAMES])
    if len(names) > NOTE_NAMES:
        text += " " + _("and %(count)d more") % {"count": len(names) - NOTE_NAMES}
    return text


class _Recipients:
    """Collects users (and the instance that makes each a recipient) into one Recipient per address."""

    def __init__(self):
        self.by_address: dict[str, Recipient] = {}
        self.inactive: set[str] = set()
        self.without_email: set[str] = set()

    def add(self, user, instance=None) -> None:
        if not user.is_active:
            self.inactive.add(user.username)
            return
        if not user.email:
            self.without_email.add(user.username)
            return
        recipient = self.by_address.setdefault(user.email.lower(), Recipient(email=user.email, user=user))
        if user not in recipient.users:
            recipient.users.append(user)
        if instance is not None and instance not in recipient.instances:
            recipient.instances.append(instance)

    def resolution(self, problems: list[str], notes: list[str]) -> Resolution:
        if self.inactive:
            notes.append(_("Not active, left out: %(names)s.") % {"names": _names(self.inactive)})
        if self.without_email:
            notes.append(_("No e-mail address, left out: %(names)s.") % {"names": _names(self.without_email)})
        recipients = sorted(self.by_address.values(), key=lambda r: r.email.lower())
        for recipient in recipients:
            recipient.instances.sort(key=lambda i: (i.cluster_slug, i.name))
        return Resolution(recipients=recipients, problems=problems, notes=notes)


def resolve_recipients(ids: list[RecipientId]) -> Resolution:
    """Every address the ids reach, each with its affected instances; what could not be resolved."""
    User = get_user_model()
    found = _Recipients()
    problems: list[str] = []
    notes: list[str] = []

    users = User.objects.in_bulk([int(i.value) for i in ids if i.kind == "u"])
    for rid in (i for i in ids if i.kind == "u"):
        if int(rid.value) in users:
            found.add(users[int(rid.value)])
        else:
            problems.append(_("There is no user %(id)s.") % {"id": rid.raw})
    groups = Group.objects.prefetch_related("user_set").in_bulk([int(i.value) for i in ids if i.kind == "g"])
    for rid in (i for i in ids if i.kind == "g"):
        group = groups.get(int(rid.value))
        if group is None:
            problems.append(_("There is no group %(id)s.") % {"id": rid.raw})
            continue
        members = list(group.user_set.all())
        if not members:
            notes.append(_("Group %(group)s has no members.") % {"group": group.name})
        for member in members:
            found.add(member)

    affected = _instances_of(ids, problems)
    _add_owners(found, affected, notes)
    return found.resolution(problems, notes)


def _instances_of(ids: list[RecipientId], problems: list[str]) -> list:
    """The snapshot instances the cluster-side ids (i, c, n, ng) stand for; what failed goes to problems."""
    scoped = [i for i in ids if i.kind in ("i", "c", "n", "ng")]
    if not scoped:
        return []
    slugs = {i.cluster_slug for i in scoped}
    clusters = {cluster.slug: cluster for cluster in cluster_list().filter(slug__in=slugs)}
    failed: dict[str, str] = {}

    def read(result):
        for error in result.errors:
            failed.setdefault(error.cluster.slug, error.message)
        return [item for item in result.items if (item["cluster"] if isinstance(item, dict) else item.cluster).slug
                not in failed]

    on_clusters = [clusters[slug] for slug in sorted(slugs) if slug in clusters]
    instances = read(inventory.instances(on_clusters))
    node_clusters = [clusters[s] for s in sorted({i.cluster_slug for i in scoped if i.kind == "n"}) if s in clusters]
    group_clusters = [clusters[s] for s in sorted({i.cluster_slug for i in scoped if i.kind == "ng"}) if s in clusters]
    nodes = read(inventory.nodes(node_clusters)) if node_clusters else []
    groups = read(inventory.rows("groups", group_clusters)) if group_clusters else []

    by_cluster: dict[str, list] = defaultdict(list)
    for instance in instances:
        by_cluster[instance.cluster.slug].append(instance)
    node_names = {(node.cluster.slug, node.name) for node in nodes}
    group_nodes = {(row["cluster"].slug, row.get("name")): set(row.get("node_list") or ()) for row in groups}

    affected: dict[tuple[str, str], object] = {}
    for rid in scoped:
        slug = rid.cluster_slug
        if slug not in clusters:
            problems.append(_("There is no enabled cluster %(cluster)s (%(id)s).") % {"cluster": slug, "id": rid.raw})
            continue
        if slug in failed:
            problems.append(_("Cluster %(cluster)s did not answer (%(reason)s): the owners for %(id)s cannot be "
                              "found.") % {"cluster": clusters[slug], "reason": failed[slug], "id": rid.raw})
            continue
        on_cluster = by_cluster[slug]
        if rid.kind == "c":
            chosen = on_cluster
        elif rid.kind == "i":
            chosen = [instance for instance in on_cluster if instance.name == rid.name]
            if not chosen:
                problems.append(_("Cluster %(cluster)s has no instance %(name)s.")
                                % {"cluster": clusters[slug], "name": rid.name})
        elif rid.kind == "n":
            chosen = [instance for instance in on_cluster if instance.pnode == rid.name]
            if (slug, rid.name) not in node_names:
                problems.append(_("Cluster %(cluster)s has no node %(name)s.")
                                % {"cluster": clusters[slug], "name": rid.name})
        else:
            members = group_nodes.get((slug, rid.name))
            if members is None:
                problems.append(_("Cluster %(cluster)s has no node group %(name)s.")
                                % {"cluster": clusters[slug], "name": rid.name})
                members = set()
            chosen = [instance for instance in on_cluster if instance.pnode in members]
        for instance in chosen:
            affected[(slug, instance.name)] = instance
    return list(affected.values())


def _add_owners(found: _Recipients, instances: list, notes: list[str]) -> None:
    """Each instance's owners (user tags, members of owner groups) as recipients with that instance."""
    if not instances:
        return
    usernames = set().union(*(instance.meanings.users for instance in instances))
    group_names = set().union(*(instance.meanings.groups for instance in instances))
    users = {user.username: user for user in get_user_model().objects.filter(username__in=usernames)}
    members = {group.name: list(group.user_set.all())
               for group in Group.objects.filter(name__in=group_names).prefetch_related("user_set")}
    unowned = []
    for instance in instances:
        owners = [users[name] for name in sorted(instance.meanings.users) if name in users]
        for name in sorted(instance.meanings.groups):
            owners.extend(members.get(name, ()))
        if not owners:
            unowned.append(instance.name)
            continue
        entry = RecipientInstance.of(instance)
        for owner in owners:
            found.add(owner, entry)
    if unowned:
        notes.append(_("No owner known here, left out: %(names)s.") % {"names": _names(unowned)})


def recipient_choices(raw_ids) -> list[dict]:
    """The chosen ids as the form shows them: [{"id", "type", "text"}], unknown ones named as they are."""
    ids = [rid for rid in (parse_recipient_id(raw) for raw in raw_ids) if rid is not None]
    users = get_user_model().objects.in_bulk([int(i.value) for i in ids if i.kind == "u"])
    groups = Group.objects.in_bulk([int(i.value) for i in ids if i.kind == "g"])
    clusters = {c.slug: c for c in cluster_list(enabled_only=False).filter(slug__in={i.cluster_slug for i in ids})}
    choices, seen = [], set()
    for rid in ids:
        if rid.raw in seen:
            continue
        seen.add(rid.raw)
        if rid.kind == "u":
            user = users.get(int(rid.value))
            text = _user_text(user) if user else rid.raw
        elif rid.kind == "g":
            group = groups.get(int(rid.value))
            text = group.name if group else rid.raw
        else:
            cluster = clusters.get(rid.cluster_slug)
            label = str(cluster) if cluster else rid.cluster_slug
            text = label if rid.kind == "c" else f"{rid.name} ({label})"
        choices.append({"id": rid.raw, "type": rid.kind, "type_label": TYPE_LABELS[rid.kind], "text": text})
    return choices


def _user_text(user) -> str:
    full_name = user.get_full_name()
    text = f"{user.username} ({full_name})" if full_name else user.username
    return f"{text} <{user.email}>" if user.email else text


def lookup(kind: str, query: str, *, limit: int = LOOKUP_LIMIT) -> tuple[list[dict], list]:
    """(matches [{"id", "type", "type_label", "text"}], ClusterErrors) of one LOOKUP_TYPES kind whose name
    contains `query` (users: also full name or e-mail); nothing for fewer than MIN_QUERY characters."""
    query = (query or "").strip()
    prefix = LOOKUP_TYPES[kind]
    if len(query) < MIN_QUERY:
        return [], []
    needle = query.lower()
    errors: list = []
    if kind == "users":
        match = (Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
                 | Q(email__icontains=query))
        found = [(f"u_{user.pk}", _user_text(user))
                 for user in get_user_model().objects.filter(match, is_active=True).order_by("username")[:limit]]
    elif kind == "groups":
        found = [(f"g_{group.pk}", group.name)
                 for group in Group.objects.filter(name__icontains=query).order_by("name")[:limit]]
    elif kind == "clusters":
        match = Q(slug__icontains=query) | Q(description__icontains=query) | Q(hostname__icontains=query)
        found = [(f"c_{cluster.slug}", str(cluster)) for cluster in cluster_list().filter(match).order_by("slug")[:limit]]
    else:
        if kind == "instances":
            result = inventory.instances()
            items = sorted(((item.cluster, item.name) for item in result.items if needle in item.name.lower()),
                           key=lambda pair: (pair[1], pair[0].slug))
        elif kind == "nodes":
            result = inventory.nodes()
            items = sorted(((item.cluster, item.name) for item in result.items if needle in item.name.lower()),
                           key=lambda pair: (pair[1], pair[0].slug))
        else:
            result = inventory.rows("groups")
            items = sorted(((row["cluster"], row.get("name") or "") for row in result.items
                            if needle in (row.get("name") or "").lower()), key=lambda pair: (pair[1], pair[0].slug))
        errors = result.errors
        found = [(f"{prefix}_{cluster.slug}/{name}", f"{name} ({cluster.label})") for cluster, name in items[:limit]]
    return ([{"id": rid, "type": prefix, "type_label": str(TYPE_LABELS[prefix]), "text": text} for rid, text in found],
            errors)


def archive():
    """Every archived notification, newest first, with its sender."""
    return Notification.objects.select_related("sender")
