"""manage.py import_old_ganetimgr against a MariaDB holding a small sample of the old ganetimgr's schema."""

import base64
import subprocess
from datetime import UTC, datetime
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from accounts.models import SshKey
from apply.models import InstanceApplication, Organization
from ganeti.models import Cluster, Network
from tests.mariadb import running_mariadb

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db]

OLD_SCHEMA = """
CREATE TABLE auth_user (id int AUTO_INCREMENT PRIMARY KEY, password varchar(128) NOT NULL, last_login datetime(6),
  is_superuser tinyint(1) NOT NULL, username varchar(150) NOT NULL UNIQUE, first_name varchar(30) NOT NULL,
  last_name varchar(150) NOT NULL, email varchar(254) NOT NULL, is_staff tinyint(1) NOT NULL,
  is_active tinyint(1) NOT NULL, date_joined datetime(6) NOT NULL) CHARACTER SET utf8;
CREATE TABLE auth_group (id int AUTO_INCREMENT PRIMARY KEY, name varchar(80) NOT NULL UNIQUE) CHARACTER SET utf8;
CREATE TABLE auth_user_groups (id int AUTO_INCREMENT PRIMARY KEY, user_id int NOT NULL, group_id int NOT NULL);
CREATE TABLE apply_organization (id int AUTO_INCREMENT PRIMARY KEY, title varchar(255) NOT NULL,
  website varchar(255), email varchar(254), tag varchar(255), phone varchar(255)) CHARACTER SET utf8;
CREATE TABLE apply_organization_users (id int AUTO_INCREMENT PRIMARY KEY, organization_id int, user_id int);
CREATE TABLE accounts_userprofile (id int AUTO_INCREMENT PRIMARY KEY, first_login tinyint(1) NOT NULL,
  force_logout_date datetime(6), user_id int NOT NULL UNIQUE, organization_id int, telephone varchar(13));
CREATE TABLE apply_sshpublickey (id int AUTO_INCREMENT PRIMARY KEY, key_type varchar(12) NOT NULL,
  `key` longtext NOT NULL, comment varchar(255), owner_id int NOT NULL, fingerprint varchar(255));
CREATE TABLE ganeti_cluster (id int AUTO_INCREMENT PRIMARY KEY, hostname varchar(128) NOT NULL,
  slug varchar(50) NOT NULL, port int unsigned NOT NULL, description varchar(128), username varchar(64),
  password varchar(64), fast_create tinyint(1) NOT NULL, use_gnt_network tinyint(1) NOT NULL,
  disable_instance_creation tinyint(1) NOT NULL, disabled tinyint(1)) CHARACTER SET utf8;
CREATE TABLE ganeti_network (id int AUTO_INCREMENT PRIMARY KEY, description varchar(255) NOT NULL,
  cluster_id int NOT NULL, link varchar(255) NOT NULL, mode varchar(64) NOT NULL, cluster_default tinyint(1) NOT NULL,
  ipv6_prefix varchar(255));
CREATE TABLE ganeti_network_groups (id int AUTO_INCREMENT PRIMARY KEY, network_id int NOT NULL, group_id int NOT NULL);
CREATE TABLE apply_instanceapplication (id int AUTO_INCREMENT PRIMARY KEY, hostname varchar(255) NOT NULL,
  applicant_id int NOT NULL, status int NOT NULL);
"""


def ssh_key_line() -> str:
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


@pytest.fixture(scope="module")
def old_database(tmp_path_factory):
    """The old schema with three users (a local one, an LDAP one, one with a pre-2012 SHA1 hash), two groups,
    an organization, a profile, two SSH keys (one DSA), a cluster and its network, two applications; its URL
    and alice's key."""
    with running_mariadb(tmp_path_factory.mktemp("old-mariadb")) as (url, client):
        alice_hash = PBKDF2PasswordHasher().encode("alice-old-pw", "oldsalt1234", iterations=36000)  # Django 1.11's
        key_type, key_data = ssh_key_line().split()
        dsa = base64.b64encode(b"\x00\x00\x00\x07ssh-dss" + b"\x00" * 40).decode()
        data = f"""
INSERT INTO auth_user VALUES (1, '{alice_hash}', '2018-05-01 10:00:00', 0, 'alice', 'Αλίκη', 'Old', 'alice@example.org',
  1, 1, '2015-01-01 00:00:00'), (2, '!ldapunusable', NULL, 0, 'bob', 'Bob', 'Ldap', 'bob@example.org', 0, 1,
  '2016-01-01 00:00:00'), (3, 'sha1$ab12$0123456789abcdef0123456789abcdef01234567', NULL, 1, 'carol', 'Carol', '',
  'carol@example.org', 1, 1, '2011-01-01 00:00:00');
INSERT INTO auth_group VALUES (1, 'noc'), (2, 'helpdesk');
INSERT INTO auth_user_groups (user_id, group_id) VALUES (1, 1), (3, 2);
INSERT INTO apply_organization VALUES (1, 'GRNET', 'https://grnet.gr/', 'noc@grnet.gr', 'grnet', '+302107474274');
INSERT INTO accounts_userprofile VALUES (1, 0, NULL, 1, 1, '2101234567');
INSERT INTO apply_sshpublickey VALUES (1, '{key_type}', '{key_data}', 'alice@laptop', 1, 'md5'),
  (2, 'ssh-dss', '{dsa}', 'bob@old', 2, 'md5');
INSERT INTO ganeti_cluster VALUES (1, 'ganeti.example.org', 'athens', 5080, 'Athens', 'rapi', 'rapi-old-secret',
  0, 1, 0, 0);
INSERT INTO ganeti_network VALUES (1, 'Public', 1, 'br0', 'bridged', 1, '2001:db8:1::');
INSERT INTO ganeti_network_groups (network_id, group_id) VALUES (1, 1);
INSERT INTO apply_instanceapplication VALUES (40, 'www.example.org', 1, 105), (41, 'db.example.org', 1, 104);
"""
        done = subprocess.run([*client, "ganetimgr", "-e", OLD_SCHEMA + data], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        yield url, f"{key_type} {key_data}"


def run_import(url, *options) -> list[str]:
    out = StringIO()
    call_command("import_old_ganetimgr", "--from", url, *options, stdout=out)
    return out.getvalue().splitlines()
    return out.getvalue().splitlines()


EXPECTED_REMARKS = [
    "user carol: the old password hash is of a kind Django 5.2 no longer reads; the user must reset the password",
    "user bob: SSH key bob@old left behind: DSA keys are no longer safe and are not accepted: use an ed25519, ecdsa "
    "or RSA key.",
    "new applications are numbered after the old ones' last, #41",
]


def test_dry_run_reports_and_writes_nothing(old_database):
    url, _key = old_database
    lines = run_import(url, "--dry-run")
    assert lines == ["users: 3 added, 0 already here", "groups: 2 added, 0 already here",
                     "memberships: 2 added, 0 already here", "organizations: 1 added, 0 already here",
                     "profiles: 1 added, 0 already here", "ssh keys: 1 added, 0 already here",
                     "clusters: 1 added, 0 already here", "networks: 1 added, 0 already here",
                     *EXPECTED_REMARKS, "dry run: nothing was written"]
    assert not get_user_model().objects.exists() and not Cluster.objects.exists() and not Group.objects.exists()


def test_import_brings_accounts_and_clusters_over_once(old_database, client, settings):
    settings.TIME_ZONE = "Europe/Athens"  # the old installation's, whose local times its database holds
    url, key = old_database
    lines = run_import(url)
    assert lines[:8] == ["users: 3 added, 0 already here", "groups: 2 added, 0 already here",
                         "memberships: 2 added, 0 already here", "organizations: 1 added, 0 already here",
                         "profiles: 1 added, 0 already here", "ssh keys: 1 added, 0 already here",
                         "clusters: 1 added, 0 already here", "networks: 1 added, 0 already here"]
    assert lines[8:] == EXPECTED_REMARKS

    assert client.post("/user/login/", {"username": "alice", "password": "alice-old-pw"}).status_code == 302
    alice = get_user_model().objects.get(username="alice")
    assert alice.first_name == "Αλίκη" and alice.date_joined == datetime(2014, 12, 31, 22, tzinfo=UTC)
    assert [group.name for group in alice.groups.all()] == ["noc"]
    assert (alice.profile.organization, alice.profile.telephone, alice.profile.first_login) == ("GRNET", "2101234567",
                                                                                               False)
    assert [ssh.line for ssh in SshKey.objects.filter(user=alice)] == [f"{key} alice@laptop"]
    bob = get_user_model().objects.get(username="bob")
    assert not bob.has_usable_password() and not bob.is_staff
    assert get_user_model().objects.get(username="carol").is_superuser
    assert Organization.objects.get(tag="grnet").website == "https://grnet.gr/"

    cluster = Cluster.objects.get(slug="athens")
    assert (cluster.hostname, cluster.port, cluster.username, cluster.password) == ("ganeti.example.org", 5080, "rapi",
                                                                                    "rapi-old-secret")
    assert "rapi-old-secret" not in cluster.password_encrypted
    network = Network.objects.get(cluster=cluster)
    assert (network.link, network.mode, network.cluster_default, network.ipv6_prefix) == ("br0", "bridged", True,
                                                                                          "2001:db8:1::/64")
    assert [group.name for group in network.groups.all()] == ["noc"]

    again = run_import(url)
    assert again[:8] == ["users: 0 added, 3 already here", "groups: 0 added, 2 already here",
                         "memberships: 0 added, 2 already here", "organizations: 0 added, 1 already here",
                         "profiles: 0 added, 1 already here", "ssh keys: 0 added, 1 already here",
                         "clusters: 0 added, 1 already here", "networks: 0 added, 1 already here"]
    assert get_user_model().objects.count() == 3 and SshKey.objects.count() == 1

    # The old instances' application:40 and :41 tags keep naming the old applications, not new ones.
    application = InstanceApplication.objects.create(hostname="new.example.org", memory=1024, vcpus=1, disk_size=5,
                                                     operating_system="none", applicant=alice)
    assert application.pk == 42


def test_a_database_that_is_not_the_old_ganetimgr_is_refused(old_database):
    url, _key = old_database
    another = url.rsplit("/", 1)[0] + "/mysql"  # MariaDB's own
    with pytest.raises(CommandError) as refused:
        run_import(another)
    assert str(refused.value) == ("auth_user: Table 'mysql.auth_user' doesn't exist "
                                  "(is this the old ganetimgr's database?)")
    with pytest.raises(CommandError, match=r"^--from must be a mysql:// URL"):
        run_import("postgres://u:p@127.0.0.1:1/old")
