"""Reads of the accounts app."""

import datetime as dt
import logging
import time
import urllib.request
from datetime import timedelta

import feedparser
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from registration.models import SupervisedRegistrationProfile

from apply.selectors import applications_of  # user and group info
from ganeti.rapi import inventory  # user and group info

from .models import SshKey, UserProfile

__all__ = [
    "ssh_keys_of",
    "idle_users",
    "registration_admins",
    "news_entries",
    "session_seconds_left",
    "registration_by_key",
    "registration_pending",
    "registration_approval_deadline",
    "is_directory_account",
    "SESSION_LOGIN_AT",
    "user_info",
    "group_info",
]

logger = logging.getLogger(__name__)

# The session key holding when the login was made (seconds since the epoch).
SESSION_LOGIN_AT = "ganetimgr_login_at"
FEED_CACHE_SECONDS = 900
FEED_ENTRIES = 5


def ssh_keys_of(user) -> QuerySet[SshKey]:
    """A user's SSH public keys, oldest first (what new virtual machines get)."""
    return SshKey.objects.filter(user=user).order_by("created", "pk")


def idle_users(*, days: int | None = None) -> QuerySet:
    """Active users with an e-mail address who have not logged in for `days` (never: since they joined)."""
    days = settings.IDLE_ACCOUNT_NOTIFICATION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    return (get_user_model().objects.filter(is_active=True).exclude(email="")
            .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
            .order_by("last_login", "username"))


def registration_by_key(activation_key: str):
    """The registration whose address this key may still validate (known, unused, unexpired), else None."""
    profile = SupervisedRegistrationProfile.objects.filter(activation_key=activation_key).select_related("user").first()
    if profile is None or profile.activated or profile.activation_key_expired():
        return None
    return profile


def registration_approval_deadline(user) -> dt.datetime:
    """Until when the approval link of a registration works: the days to validate the address, then
    REGISTRATION_APPROVAL_DAYS more."""
    return user.date_joined + timedelta(days=settings.ACCOUNT_ACTIVATION_DAYS + settings.REGISTRATION_APPROVAL_DAYS)


def registration_pending(*, profile_id: int):
    """The registration awaiting approval with this id (address validated, user inactive, link not too
    old), else None. An approved registration is deleted (services.registration_approve), so a user an
    administrator deactivates later is never pending again."""
    profile = (SupervisedRegistrationProfile.objects.filter(pk=profile_id, activated=True, user__is_active=False)
               .select_related("user").first())
    if profile is None or registration_approval_deadline(profile.user) <= timezone.now():
        return None
    return profile


def is_directory_account(user) -> bool:
    """Whether the directory (LDAP) made this account (recorded on its profile when it did)."""
    return user.pk is not None and UserProfile.objects.filter(user=user, directory_user=True).exists()


def registration_admins() -> list[tuple[str, str]]:
    """Who approves new accounts: ADMINS, or else the superusers with an e-mail address."""
    if settings.ADMINS:
        return list(settings.ADMINS)
    superusers = get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(email="")
    return [(user.get_username(), user.email) for user in superusers]


def news_entries() -> list[dict]:
    """The latest entries of BRANDING's FEED_URL (title, link, date), fetched at most every 15 minutes."""
    url = settings.BRANDING.get("FEED_URL")
    if not url:
        return []
    key = f"accounts:feed:{url}"
    entries = cache.get(key)
    if entries is None:
        entries = _fetch_feed(url)
        # A failing feed is retried after a minute, not on every login page view.
        cache.set(key, entries, FEED_CACHE_SECONDS if entries else 60)
    return entries


def _fetch_feed(url: str) -> list[dict]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - operator's URL
            body = response.read(1_000_000)
    except (OSError, ValueError) as exc:
        logger.warning("news feed %s could not be read: %s", url, exc)
        return []
    parsed = feedparser.parse(body)
    entries = []
    for entry in parsed.entries[:FEED_ENTRIES]:
        link = entry.get("link", "")
        if not link.startswith(("http://", "https://")):
            link = ""
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        entries.append({
            "title": entry.get("title", ""),
            "link": link,
            "date": dt.datetime(*published[:6], tzinfo=dt.timezone.utc) if published else None,
        })
    if not entries:
        logger.warning("news feed %s has no entries", url)
    return entries


def session_seconds_left(request) -> int | None:
    """Seconds until this login ends (SESSION_COOKIE_AGE after it was made); None when not logged in."""
    if not request.user.is_authenticated:
        return None
    login_at = request.session.get(SESSION_LOGIN_AT)
    if login_at is None:
        return settings.SESSION_COOKIE_AGE
    return max(0, int(login_at + settings.SESSION_COOKIE_AGE - time.time()))


# -- user and group info ---------------------------------------------------------------------

INFO_APPLICATIONS = 50


def user_info(user) -> dict:
    """What the helpdesk's user page shows: the profile, groups, latest applications, SSH keys, and the
    instances the user owns (directly or through a group) on every cluster, with the clusters that failed."""
    instances = inventory.instances(user=user)
    return {
        "profile": UserProfile.objects.filter(user=user).first(),
        "groups": list(user.groups.order_by("name")),
        "applications": list(applications_of(user)[:INFO_APPLICATIONS]),
        "ssh_keys": list(ssh_keys_of(user)),
        "instances": sorted(instances.items, key=lambda i: (i.name, i.cluster.slug)),
        "errors": instances.errors,
    }


def group_info(group) -> dict:
    """The helpdesk's group page: the members, and the instances the group owns (by a group tag)."""
    instances = inventory.instances()
    return {
        "members": list(group.user_set.order_by("username")),
        "instances": sorted((i for i in instances.items if group.name in i.meanings.groups),
                            key=lambda i: (i.name, i.cluster.slug)),
        "errors": instances.errors,
    }
