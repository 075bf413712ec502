"""The left sidebar: one list of entries, each shown only to the users it is for.

Later features add their entries here; the template only draws what menu_for() returns.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings  # statistics, graphs, news
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

__all__ = ["MenuItem", "MENU", "menu_for"]


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str  # a Bootstrap Icons name
    visible: Callable[[object], bool]
    # A number shown beside the label (None: no badge), computed for each user and request.
    badge: Callable[[object], int | None] | None = None


def _everyone(user) -> bool:
    return True


def _admin_perm(codename: str) -> Callable[[object], bool]:
    """An admin page: the admin lets in staff only."""

    def visible(user) -> bool:
        return user.is_staff and user.has_perm(codename)

    return visible


def _staff(user) -> bool:
    return user.is_staff


def _apply_everyone(user) -> bool:
    from apply.permissions import can_apply

    return can_apply(user)


def _application_reviewers(user) -> bool:
    from apply.permissions import can_list_applications

    return can_list_applications(user)


def _pending_applications(user) -> int | None:
    from apply.selectors import pending_count

    return pending_count(user) or None


def _idle_accounts(user) -> bool:
    from accounts.permissions import can_view_idle_accounts

    return can_view_idle_accounts(user)


# -- clusters, nodes, jobs
def _infrastructure(user) -> bool:
    from ganeti.permissions import can_view_infrastructure  # as above: the sidebar loads before the apps

    return can_view_infrastructure(user)
# -- end clusters, nodes, jobs


# -- notifications
def _notifiers(user) -> bool:
    from notifications.permissions import can_notify  # as above: the sidebar loads before the apps

    return can_notify(user)
# -- end notifications


# -- statistics, graphs, news
def _graphs(user) -> bool:
    from ganeti.permissions import can_view_all_graphs  # as above: the sidebar loads before the apps

    return bool(settings.COLLECTD_URL) and can_view_all_graphs(user)


def _news(user) -> bool:
    return bool(settings.BRANDING.get("FEED_URL"))
# -- end statistics, graphs, news


MENU: list[MenuItem] = [
    MenuItem(_("Home"), "ganeti:home", "house", _everyone),
    MenuItem(_("Apply"), "apply:apply", "plus-square", _apply_everyone),
    MenuItem(_("Applications"), "apply:application_list", "inbox", _application_reviewers, _pending_applications),
    MenuItem(_("History"), "auditlog:history", "clock-history", _everyone),
    MenuItem(_("Statistics"), "stats:index", "bar-chart-line", _everyone),  # statistics
    # -- clusters, nodes, jobs
    MenuItem(_("Cluster info"), "ganeti:cluster_detail", "hdd-stack", _infrastructure),
    MenuItem(_("Nodes"), "ganeti:nodes", "pc-display", _infrastructure),
    MenuItem(_("Jobs"), "ganeti:jobs", "list-task", _infrastructure),
    # -- end clusters, nodes, jobs
    MenuItem(_("Graphs"), "ganeti:graphs_all", "graph-up", _graphs),  # graphs
    # -- notifications
    MenuItem(_("Notifications"), "notifications:compose", "envelope", _notifiers),
    # -- end notifications
    MenuItem(_("Clusters"), "admin:ganeti_cluster_changelist", "hdd-network", _admin_perm("ganeti.view_cluster")),
    MenuItem(_("Networks"), "admin:ganeti_network_changelist", "diagram-3", _admin_perm("ganeti.view_network")),
    MenuItem(_("Idle accounts"), "accounts:idle_accounts", "hourglass-split", _idle_accounts),
    MenuItem(_("News"), "news", "newspaper", _news),  # news
    MenuItem(_("Administration"), "admin:index", "gear", _staff),
]


def menu_for(user, current_path: str) -> list[dict]:
    """The entries this user may see, with the one matching current_path marked active."""
    if not user.is_authenticated:
        return []
    entries = []
    for item in MENU:
        if not (user.is_active and item.visible(user)):
            continue
        url = reverse(item.url_name)
        entries.append({"label": item.label, "url": url, "icon": item.icon, "active": False,
                        "badge": item.badge(user) if item.badge else None})
    # The longest URL that prefixes the current path is the active entry ("/" only for itself).
    matches = [e for e in entries if current_path == e["url"] or (e["url"] != "/" and current_path.startswith(e["url"]))]
    if matches:
        max(matches, key=lambda e: len(e["url"]))["active"] = True
    return entries
