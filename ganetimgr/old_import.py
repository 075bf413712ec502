"""Bringing the old ganetimgr's (2018, Django 1.11) accounts and clusters over from its MySQL database.

The old database is only read (one read-only transaction). Rows are matched by their natural keys
(usernames, group names, organization tags, cluster slugs, a cluster's network links, key fingerprints):
what is already here is kept as it is, so running the import again adds only what is still missing.
Applications, audit entries, notifications and e-mailed action links stay behind.
"""

from collections import Counter
from dataclasses import dataclass, field

import MySQLdb
import MySQLdb.cursors
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import SshKey
from accounts.services import profile_of
from accounts.sshkeys import parse_key_line
from apply.models import InstanceApplication, Organization
from ganeti.choices import NetworkModeChoices
from ganeti.models import Cluster, Network, normalize_ipv6_prefix
from ganetimgr.config import database_from_url

__all__ = ["OldDatabaseError", "ImportReport", "read_old_database", "import_old_rows"]

# What is read from the old schema, per table.
OLD_QUERIES = {
    "auth_user": "SELECT id, username, password, first_name, last_name, email, is_active, is_staff, is_superuser, "
                 "date_joined, last_login FROM auth_user ORDER BY id",
    "auth_group": "SELECT id, name FROM auth_group ORDER BY id",
    "auth_user_groups": "SELECT user_id, group_id FROM auth_user_groups ORDER BY id",
    "apply_organization": "SELECT id, title, website, email, tag, phone FROM apply_organization ORDER BY id",
    "accounts_userprofile": "SELECT user_id, first_login, organization_id, telephone FROM accounts_userprofile "
                            "ORDER BY id",
    "apply_sshpublickey": "SELECT owner_id, key_type, `key`, comment FROM apply_sshpublickey ORDER BY id",
    "ganeti_cluster": "SELECT id, hostname, slug, port, description, username, password, fast_create, "
                      "use_gnt_network, disable_instance_creation, disabled FROM ganeti_cluster ORDER BY id",
    "ganeti_network": "SELECT id, description, cluster_id, link, mode, cluster_default, ipv6_prefix "
                      "FROM ganeti_network ORDER BY id",
    "ganeti_network_groups": "SELECT network_id, group_id FROM ganeti_network_groups ORDER BY id",
    "apply_instanceapplication": "SELECT MAX(id) AS id FROM apply_instanceapplication",
}
OLD_RAPI_PORT = 5080  # the old ganetimgr ignored the cluster's port and always used this one


class OldDatabaseError(Exception):
    """The old database cannot be read; the message says why."""


@dataclass
class ImportReport:
    """What the import did (or, in a dry run, would do): counts per kind and remarks for the operator."""

    created: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)
    remarks: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        kinds = ["users", "groups", "memberships", "organizations", "profiles", "ssh keys", "clusters", "networks"]
        return [f"{kind}: {self.created[kind]} added, {self.kept[kind]} already here" for kind in kinds]


def read_old_database(url: str) -> dict[str, list[dict]]:
    """Every row the import needs, per table, read in one read-only transaction."""
    config = database_from_url(url, setting="--from")
    if not config["ENGINE"].endswith("mysql"):
        raise OldDatabaseError("--from must be a mysql:// URL: the old ganetimgr's database")
    try:
        connection = MySQLdb.connect(host=config["HOST"] or "localhost", port=int(config["PORT"] or 3306),
                                     user=config["USER"], password=config["PASSWORD"], database=config["NAME"],
                                     charset="utf8mb4", cursorclass=MySQLdb.cursors.DictCursor, connect_timeout=10)
    except MySQLdb.Error as exc:
        raise OldDatabaseError(f"the old database did not answer: {exc.args[-1]}") from None
    try:
        with connection.cursor() as cursor:
            cursor.execute("START TRANSACTION READ ONLY")
            rows = {}
            for table, query in OLD_QUERIES.items():
                try:
                    cursor.execute(query)
                except MySQLdb.Error as exc:
                    raise OldDatabaseError(f"{table}: {exc.args[-1]} (is this the old ganetimgr's database?)") from None
                rows[table] = list(cursor.fetchall())
            cursor.execute("ROLLBACK")
        return rows
    finally:
        connection.close()


def import_old_rows(rows: dict[str, list[dict]], *, dry_run: bool) -> ImportReport:
    """Add the old installation's users, groups, organizations, profiles, SSH keys, clusters and networks
    that are missing here, all or nothing; a dry run rolls everything back and reports the same.

    New applications are then numbered after the old ones: the instances the old ganetimgr created carry
    its application numbers in their `application:<id>` tags, which must not name a new application."""
    report = ImportReport()
    with transaction.atomic():
        users, made_users = _users(rows, report)
        groups = _groups(rows, report, users)
        organizations = _organizations(rows, report)
        _profiles(rows, report, users, made_users, organizations)
        _ssh_keys(rows, report, users)
        _clusters_and_networks(rows, report, groups)
        if dry_run:
            transaction.set_rollback(True)
    last_old_application = rows["apply_instanceapplication"][0]["id"] or 0
    if not dry_run:
        _number_applications_after(last_old_application)  # outside the transaction: sequences are not undone
    report.remarks.append(f"new applications are numbered after the old ones' last, #{last_old_application}")
    return report


def _number_applications_after(last_id: int) -> None:
    """Make the next InstanceApplication id at least last_id + 1 (never lower than it already is)."""
    table = InstanceApplication._meta.db_table
    if not last_id or InstanceApplication.objects.filter(pk__gt=last_id).exists():
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, last_id])
        elif connection.vendor == "mysql":  # lower than the table's largest id + 1, MySQL keeps its own
            cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} AUTO_INCREMENT = {int(last_id) + 1}")
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last_id])


def _users(rows, report) -> tuple[dict, set]:
    """(old user id -> User, ids of the accounts made now); these keep their old password hash, so their
    passwords still work."""
    user_model = get_user_model()
    users, made = {}, set()
    for old in rows["auth_user"]:
        user = user_model.objects.filter(username=old["username"]).first()
        if user:
            report.kept["users"] += 1
        else:
            user = user_model(username=old["username"], password=old["password"], first_name=old["first_name"],
                              last_name=old["last_name"], email=old["email"], is_active=bool(old["is_active"]),
                              is_staff=bool(old["is_staff"]), is_superuser=bool(old["is_superuser"]),
                              date_joined=_aware(old["date_joined"]), last_login=_aware(old["last_login"]))
            user.save()
            made.add(user.pk)
            report.created["users"] += 1
            if user.has_usable_password():
                try:
                    identify_hasher(user.password)
                except ValueError:
                    report.remarks.append(f"user {user.username}: the old password hash is of a kind Django 5.2 "
                                          "no longer reads; the user must reset the password")
        users[old["id"]] = user
    return users, made


def _aware(moment):
    """The old ganetimgr ran without time zone support: its dates are in its TIME_ZONE, kept by the dist."""
    return timezone.make_aware(moment) if moment and timezone.is_naive(moment) else moment


def _groups(rows, report, users) -> dict:
    groups = {}
    for old in rows["auth_group"]:
        group, created = Group.objects.get_or_create(name=old["name"])
        report.created["groups"] += created
        report.kept["groups"] += not created
        groups[old["id"]] = group
    for old in rows["auth_user_groups"]:
        user, group = users.get(old["user_id"]), groups.get(old["group_id"])
        if user and group:
            already = user.groups.filter(pk=group.pk).exists()
            if not already:
                user.groups.add(group)
            report.created["memberships"] += not already
            report.kept["memberships"] += already
    return groups


def _organizations(rows, report) -> dict:
    """old organization id -> Organization, matched by tag, else by title."""
    organizations = {}
    for old in rows["apply_organization"]:
        tag = old["tag"] or slugify(old["title"])[:100]
        organization = (Organization.objects.filter(tag=tag).first()
                        or Organization.objects.filter(title=old["title"]).first())
        if organization:
            report.kept["organizations"] += 1
        else:
            organization = Organization.objects.create(title=old["title"], tag=tag, website=old["website"] or "",
                                                       email=old["email"] or "", phone=old["phone"] or "")
            report.created["organizations"] += 1
        organizations[old["id"]] = organization
    return organizations


def _profiles(rows, report, users, made_users, organizations) -> None:
    """An old profile fills the empty organization and telephone of a profile here; for an account this
    import made, it also says whether the welcome message is still due."""
    for old in rows["accounts_userprofile"]:
        user = users.get(old["user_id"])
        if not user:
            continue
        profile = profile_of(user)
        organization = organizations.get(old["organization_id"])
        changes = {"organization": organization.title if organization else "", "telephone": old["telephone"] or ""}
        changes = {name: value for name, value in changes.items() if value and not getattr(profile, name)}
        if user.pk in made_users and profile.first_login != bool(old["first_login"]):
            changes["first_login"] = bool(old["first_login"])
        if changes:
            for name, value in changes.items():
                setattr(profile, name, value)
            profile.save()
        report.created["profiles"] += bool(changes)
        report.kept["profiles"] += not changes


def _ssh_keys(rows, report, users) -> None:
    for old in rows["apply_sshpublickey"]:
        user = users.get(old["owner_id"])
        if not user:
            continue
        line = f"{old['key_type']} {old['key']} {old['comment'] or ''}"
        try:
            key = parse_key_line(line)
        except ValidationError as exc:
            report.remarks.append(f"user {user.username}: SSH key {old['comment'] or old['key_type']} "
                                  f"left behind: {exc.messages[0]}")
            continue
        _, created = SshKey.objects.get_or_create(user=user, fingerprint=key.fingerprint, defaults={
            "key_type": key.key_type, "public_key": key.public_key, "comment": key.comment})
        report.created["ssh keys"] += created
        report.kept["ssh keys"] += not created


def _clusters_and_networks(rows, report, groups) -> None:
    clusters = {}
    for old in rows["ganeti_cluster"]:
        cluster = Cluster.objects.filter(slug=old["slug"]).first()
        if cluster:
            report.kept["clusters"] += 1
        else:
            cluster = Cluster(hostname=old["hostname"], slug=old["slug"], port=old["port"] or OLD_RAPI_PORT,
                              description=old["description"] or "", username=old["username"] or "",
                              fast_create=bool(old["fast_create"]), use_gnt_network=bool(old["use_gnt_network"]),
                              disable_instance_creation=bool(old["disable_instance_creation"]),
                              disabled=bool(old["disabled"]))
            cluster.password = old["password"] or ""  # stored encrypted from now on
            cluster.save()
            report.created["clusters"] += 1
            if cluster.port != OLD_RAPI_PORT:
                report.remarks.append(f"cluster {cluster.slug}: RAPI port {cluster.port} taken as stored; the old "
                                      f"ganetimgr always used {OLD_RAPI_PORT}")
        clusters[old["id"]] = cluster
    network_groups = {(old["network_id"], old["group_id"]) for old in rows["ganeti_network_groups"]}
    for old in rows["ganeti_network"]:
        cluster = clusters.get(old["cluster_id"])
        if not cluster:
            continue
        network = Network.objects.filter(cluster=cluster, link=old["link"]).first()
        if network:
            report.kept["networks"] += 1
            continue
        try:
            prefix = normalize_ipv6_prefix(old["ipv6_prefix"] or "")
        except ValidationError as exc:
            prefix = ""
            report.remarks.append(f"network {old['link']} of {cluster.slug}: IPv6 prefix left out: {exc.messages[0]}")
        mode = old["mode"] if old["mode"] in NetworkModeChoices.values else NetworkModeChoices.BRIDGED
        default = bool(old["cluster_default"]) and not cluster.networks.filter(cluster_default=True).exists()
        network = Network.objects.create(cluster=cluster, link=old["link"], description=old["description"] or "",
                                         mode=mode, cluster_default=default, ipv6_prefix=prefix)
        network.groups.set([groups[group_id] for network_id, group_id in network_groups
                            if network_id == old["id"] and group_id in groups])
        report.created["networks"] += 1
