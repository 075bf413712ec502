"""Every instance-level access decision, one function each (views, templates' buttons and the API use
these and nothing else).

Nothing here is cached between requests: the original leaked one user's rights to another through a
shared permission cache. Django's own per-user-object permission cache is per request, which is fine.
`instance` is anything with `.meanings` (ganeti.rapi.objects.TagMeanings): a snapshot Instance or the
live one of the detail page.
"""

from __future__ import annotations

__all__ = [
    "can_view_all_instances", "is_owner", "can_view_instance", "can_operate_instance", "can_change_instance",
    "can_edit_owners", "can_lock_instance", "can_isolate_instance", "can_view_audit_log",
    "instance_capabilities", "user_group_names", "is_listed_owner",
    "can_view_infrastructure", "can_clear_cache",  # clusters, nodes, jobs
]


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def user_group_names(user) -> frozenset[str]:
    """The names of the user's groups, read once per user object (one request)."""
    if not _active(user):
        return frozenset()
    names = getattr(user, "_ganetimgr_group_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._ganetimgr_group_names = names
    return names


def _roles(user) -> tuple[bool, bool]:
    """(superuser, helpdesk or superuser) of an active user, worked out once per user object (one
    request: a list asks for every row's capabilities, and each has_perm walks the auth backends)."""
    roles = getattr(user, "_ganetimgr_roles", None)
    if roles is None:
        roles = (user.is_superuser, user.is_superuser or user.has_perm("ganeti.view_instances"))
        user._ganetimgr_roles = roles
    return roles


def can_view_all_instances(user) -> bool:
    """Helpdesk (perm ganeti.view_instances) and superusers see every instance."""
    return _active(user) and _roles(user)[1]


def is_owner(user, instance) -> bool:
    """Listed by a user tag, or member of a group listed by a group tag (user:/users:, group:/groups:)."""
    if instance is None:
        return False
    return is_listed_owner(user, instance.meanings.users, instance.meanings.groups)


def is_listed_owner(user, users, groups) -> bool:
    """Whether owner lists `users` and `groups` (names) make the user an owner: is_owner of an instance
    whose tags would say so (the owners editor asks it of the lists it is about to write)."""
    if not _active(user):
        return False
    return user.username in users or not frozenset(groups).isdisjoint(user_group_names(user))


def can_view_instance(user, instance) -> bool:
    return is_owner(user, instance) or can_view_all_instances(user)


def _owner_not_locked(user, instance) -> bool:
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return is_owner(user, instance) and not instance.meanings.admin_locked


def can_operate_instance(user, instance) -> bool:
    """Start, shutdown, reboot, console: superusers, or owners of an instance not admin-locked."""
    return _owner_not_locked(user, instance)


def can_change_instance(user, instance) -> bool:
    """Reinstall, destroy, rename, configuration: the same rule as operating, kept apart."""
    return _owner_not_locked(user, instance)


def can_edit_owners(user, instance) -> bool:
    return _owner_not_locked(user, instance)


def can_lock_instance(user, instance) -> bool:
    """Admin lock/unlock: perm ganeti.can_lock, for helpdesk or superusers."""
    return can_view_all_instances(user) and user.has_perm("ganeti.can_lock")


def can_isolate_instance(user, instance) -> bool:
    """Isolation: perm ganeti.can_isolate, for helpdesk or superusers."""
    return can_view_all_instances(user) and user.has_perm("ganeti.can_isolate")


def can_view_audit_log(user) -> bool:
    """Everyone's entries: superusers and helpdesk. Other users see their own history only."""
    return can_view_all_instances(user)


# -- graphs ----------------------------------------------------------------------------------
__all__ += ["can_view_all_graphs", "can_view_instance_graphs"]


def can_view_all_graphs(user) -> bool:
    """Graphs of any instance and the batch graphs pages: superusers and perm ganeti.view_all_graphs."""
    return _active(user) and (user.is_superuser or user.has_perm("ganeti.view_all_graphs"))


def can_view_instance_graphs(user, instance) -> bool:
    """An instance's CPU and network graphs: its owners (user or group tag) and can_view_all_graphs."""
    return is_owner(user, instance) or can_view_all_graphs(user)
# -- end graphs


def instance_capabilities(user, instance) -> dict[str, bool]:
    """What templates use to draw buttons."""
    user = getattr(user, "_wrapped", user) if _active(user) else user  # request.user: its object, once
    return {
        "view": can_view_instance(user, instance),
        "operate": can_operate_instance(user, instance),
        "change": can_change_instance(user, instance),
        "edit_owners": can_edit_owners(user, instance),
        "lock": can_lock_instance(user, instance),
        "isolate": can_isolate_instance(user, instance),
    }


# -- clusters, nodes, jobs -------------------------------------------------------------------


def can_view_infrastructure(user) -> bool:
    """Cluster info, nodes, jobs, job details and the instance popup: helpdesk and superusers."""
    return can_view_all_instances(user)


def can_clear_cache(user) -> bool:
    """Dropping every cached snapshot of every cluster: superusers only."""
    return _active(user) and user.is_superuser
# -- end clusters, nodes, jobs
