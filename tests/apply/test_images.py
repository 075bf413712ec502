"""The OS image catalogue against a real HTTP server serving Apache-style directory indexes."""

import base64
import json
import logging

import pytest

from accounts.models import SshKey
from apply import images
from apply.models import InstanceApplication
from tests.apply.images_server import ImageServer

pytestmark = pytest.mark.django_db

DEBIAN_META = {
    "description": "Debian 12 Bookworm (64 bit)", "provider": "image+default",
    "osparams": {"img_id": "debian-bookworm", "img_format": "tarball", "img_properties": {"SWAP": "2:512"}},
    "ssh_key_param": "img_ssh_key_url",
}
SNF_META = {
    "provider": "snf-image+default", "ssh_key_users": "root admin:wheel",
    "osparams": {"img_id": "ubuntu-24.04", "img_format": "diskdump", "img_passwd": "secret"},
}


@pytest.fixture
def image_server():
    servers = []

    def start(files):
        server = ImageServer(files)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def static_only(settings):
    settings.IMAGES_URL = settings.OPERATING_SYSTEMS_URLS = settings.SNF_OPERATING_SYSTEMS_URLS = []
    settings.OPERATING_SYSTEMS = {"none": {"description": "No OS", "provider": "noop", "osparams": {}}}
    images.invalidate()
    return settings


def test_meta_files_become_catalogue_entries_beside_the_static_ones(static_only, image_server):
    server = image_server({
        "/images/debian-bookworm.meta": json.dumps(DEBIAN_META),
        "/images/ubuntu-noble.meta": json.dumps(SNF_META),
        "/images/ubuntu-noble.dsc": "Ubuntu 24.04\n  Noble Numbat\n",
        "/images/broken.meta": "{not json",
        "/images/no-provider.meta": json.dumps({"osparams": {"img_id": "x"}}),
        "/images/debian-bookworm-x86_64.tar.gz": b"\x1f\x8b",
    })
    static_only.IMAGES_URL = [server.url + "/images/"]
    catalogue = images.operating_systems()
    assert set(catalogue) == {"none", "debian-bookworm", "ubuntu-noble"}
    assert catalogue["debian-bookworm"]["description"] == "Debian 12 Bookworm (64 bit)"
    assert catalogue["debian-bookworm"]["ssh_key_param"] == "img_ssh_key_url"
    assert catalogue["ubuntu-noble"]["description"] == "Ubuntu 24.04 Noble Numbat"  # from the .dsc
    assert images.os_choices()[0] == ("none", "No OS")


def test_catalogue_is_cached_until_invalidated(static_only, image_server):
    server = image_server({"/images/debian-bookworm.meta": json.dumps(DEBIAN_META)})
    static_only.IMAGES_URL = [server.url + "/images/"]
    images.operating_systems()
    fetched = len(server.requests)
    server.files["/images/other.meta"] = json.dumps(dict(DEBIAN_META, description="Other")).encode()
    assert "other" not in images.operating_systems()
    assert len(server.requests) == fetched  # the cache answered
    images.invalidate()
    assert images.operating_systems()["other"]["description"] == "Other"


def test_a_failing_index_server_leaves_the_static_list_and_a_warning(static_only, image_server, caplog):
    server = image_server({"/images/debian-bookworm.meta": json.dumps(DEBIAN_META)})
    server.down = True
    static_only.IMAGES_URL = [server.url + "/images/"]
    with caplog.at_level(logging.WARNING, logger="apply.images"):
        catalogue = images.operating_systems()
    assert set(catalogue) == {"none"}
    assert "cannot be read" in caplog.text and server.url in caplog.text
    # Retried after the short delay, not cached for a day: once the server is back, a fresh read finds it.
    server.down = False
    images.invalidate()
    assert "debian-bookworm" in images.operating_systems()


def test_instance_image_and_snf_image_directories(static_only, image_server):
    server = image_server({
        "/gii/debian-bookworm-x86_64.tar.gz": b"x",
        "/gii/debian-bookworm-x86_64.tar.gz.dsc": "Debian Bookworm (tarball)",
        "/gii/nomount-windows-amd64.img": b"x",
        "/gii/centos-root.dump": b"x",
        "/gii/README.txt": "not an image",
        "/snf/alma-9.img": b"x",
        "/snf/alma-9.img.dsc": "AlmaLinux 9",
    })
    static_only.OPERATING_SYSTEMS_URLS = [server.url + "/gii/"]
    static_only.SNF_OPERATING_SYSTEMS_URLS = [server.url + "/snf"]
    static_only.SNF_IMG_PASSWD = ""
    catalogue = images.operating_systems()
    assert catalogue["debian-bookworm"] == {
        "description": "Debian Bookworm (tarball)", "provider": "image+default", "ssh_key_param": "img_ssh_key_url",
        "osparams": {"img_id": "debian-bookworm", "img_format": "tarball"}}
    assert catalogue["windows"]["osparams"] == {"img_id": "windows", "img_format": "qemu", "img_nomount": "yes"}
    assert catalogue["centos"]["osparams"]["img_format"] == "dump"
    assert catalogue["snf-alma-9"]["description"] == "AlmaLinux 9"
    assert catalogue["snf-alma-9"]["osparams"]["img_id"] == f"url:{server.url}/snf/alma-9.img"
    assert catalogue["snf-alma-9"]["ssh_key_users"] == "root"
    assert "README.txt" not in str(catalogue)


def _application(user, os_key):
    return InstanceApplication.objects.create(hostname="vm1.example.org", memory=1024, vcpus=1, disk_size=5,
                                              operating_system=os_key, applicant=user)


def test_os_create_params_with_an_ssh_keys_url(static_only, user):
    static_only.OPERATING_SYSTEMS["deb"] = DEBIAN_META
    params = images.os_create_params("deb", application=_application(user, "deb"),
                                     ssh_keys_url="https://site/application/1/abc/ssh_keys")
    assert params == {"os_type": "image+default", "osparams": {
        "img_id": "debian-bookworm", "img_format": "tarball",
        "img_properties": '{"SWAP": "2:512"}',  # not a string: JSON-encoded for Ganeti
        "img_ssh_key_url": "https://site/application/1/abc/ssh_keys"}}


def test_os_create_params_with_snf_image_personality(static_only, user):
    SshKey.objects.create(user=user, key_type="ssh-ed25519", public_key="AAAAC3NzaKEY1", comment="alice@laptop",
                          fingerprint="SHA256:one")
    SshKey.objects.create(user=user, key_type="ssh-rsa", public_key="AAAAB3NzaKEY2", fingerprint="SHA256:two")
    static_only.OPERATING_SYSTEMS["ubuntu"] = SNF_META
    params = images.os_create_params("ubuntu", application=_application(user, "ubuntu"), ssh_keys_url="unused")
    assert params["os_type"] == "snf-image+default"
    assert "img_ssh_key_url" not in params["osparams"]
    personality = json.loads(params["osparams"]["img_personality"])
    keys = "ssh-ed25519 AAAAC3NzaKEY1 alice@laptop\nssh-rsa AAAAB3NzaKEY2\n"
    assert personality == [
        {"path": "/root/.ssh/authorized_keys", "contents": base64.b64encode(keys.encode()).decode(),
         "owner": "root", "group": "root", "mode": 0o600},
        {"path": "/home/admin/.ssh/authorized_keys", "contents": base64.b64encode(keys.encode()).decode(),
         "owner": "admin", "group": "wheel", "mode": 0o600},
    ]


def test_os_create_params_without_keys_adds_no_personality(static_only, user):
    static_only.OPERATING_SYSTEMS["ubuntu"] = SNF_META
    params = images.os_create_params("ubuntu", application=_application(user, "ubuntu"), ssh_keys_url="unused")
    assert "img_personality" not in params["osparams"]


def test_unknown_os_key(static_only, user):
    with pytest.raises(images.UnknownOperatingSystem):
        images.os_create_params("gone", application=_application(user, "gone"), ssh_keys_url="x")


def test_default_catalogue_offers_what_the_simulator_installs(settings):
    from ganetisim.cluster import OS_NAMES

    from ganetimgr import settings as shipped

    providers = {entry["provider"] for entry in shipped.OPERATING_SYSTEMS.values()}
    assert providers <= set(OS_NAMES)
    assert "noop" in providers  # the real test cluster has noop too (contrib/ganeti-testbed/README.md)
