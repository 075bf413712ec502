"""The left sidebar: one list of entries, each shown only to the users it is for.

Later features add their entries here; the template only draws what menu_for() returns.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

__all__ = ["MenuItem", "MENU", "menu_for"]


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str  # a Bootstrap Icons name
    visible: Callable[[object], bool]


def _everyone(user) -> bool:
    return True


def _admin_perm(codename: str) -> Callable[[object], bool]:
    """An admin page: the admin lets in staff only."""

    def visible(user) -> bool:
        return user.is_staff and user.has_perm(codename)

    return visible


def _staff(user) -> bool:
    return user.is_staff


def _idle_accounts(user) -> bool:
    from accounts.permissions import can_view_idle_accounts

    return can_view_idle_accounts(user)


MENU: list[MenuItem] = [
    MenuItem(_("Home"), "ganeti:home", "house", _everyone),
    MenuItem(_("History"), "auditlog:history", "clock-history", _everyone),
    MenuItem(_("Clusters"), "admin:ganeti_cluster_changelist", "hdd-network", _admin_perm("ganeti.view_cluster")),
    MenuItem(_("Networks"), "admin:ganeti_network_changelist", "diagram-3", _admin_perm("ganeti.view_network")),
    MenuItem(_("Idle accounts"), "accounts:idle_accounts", "hourglass-split", _idle_accounts),
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
        entries.append({"label": item.label, "url": url, "icon": item.icon, "active": False})
    # The longest URL that prefixes the current path is the active entry ("/" only for itself).
    matches = [e for e in entries if current_path == e["url"] or (e["url"] != "/" and current_path.startswith(e["url"]))]
    if matches:
        max(matches, key=lambda e: len(e["url"]))["active"] = True
    return entries
