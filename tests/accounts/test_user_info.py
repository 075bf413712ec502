"""The helpdesk's user and group info pages: who may see them and what they show, with the
instances from a simulated cluster; owner names linked to them where the helpdesk sees owners."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import SshKey, UserProfile
from apply.models import InstanceApplication

pytestmark = [pytest.mark.integration, pytest.mark.django_db, pytest.mark.usefixtures("empty_inventory")]


@pytest.fixture
def setup(django_user_model, user, simulators, cluster_on):
    """alice owns inst1, inst3, inst5 (user tag); group staff (gina, alice) owns inst5."""
    sim = simulators(instances=6, owners="alice", owner_groups="staff", seed=3)
    cluster_on(sim, "c1")
    staff = Group.objects.create(name="staff")
    gina = django_user_model.objects.create_user("gina", "gina@example.org", is_active=False)
    staff.user_set.add(gina, user)
    UserProfile.objects.update_or_create(user=user, defaults={"organization": "Example Lab", "telephone": "+30 210 555"})
    SshKey.objects.create(user=user, key_type="ssh-ed25519", public_key="AAAA", comment="laptop",
                          fingerprint="SHA256:abcdefghijklmnop")
    InstanceApplication.objects.create(hostname="new.example.org", memory=1024, vcpus=1, disk_size=5,
                                       operating_system="debian", applicant=user)
    hal = django_user_model.objects.create_user("hal", "hal@example.org")
    hal.user_permissions.add(Permission.objects.get(codename="view_instances"))
    other = django_user_model.objects.create_user("oscar", "oscar@example.org")
    instances = {row["name"]: row["tags"] for row in sim.request("GET", "/2/instances?bulk=1")[1]}
    return {"hal": hal, "other": other, "gina": gina, "staff": staff, "instances": instances}


def test_access(client, setup, superuser):
    for url in ("/user/info/user/alice/", "/user/info/group/staff/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/user/login/")
        client.force_login(setup["other"])
        assert client.get(url).status_code == 403
        client.force_login(setup["hal"])
        assert client.get(url).status_code == 200
        client.force_login(superuser)
        assert client.get(url).status_code == 200
        client.logout()
    client.force_login(setup["hal"])
    assert client.get("/user/info/user/nobody/").status_code == 404
    assert client.get("/user/info/group/nobody/").status_code == 404


def test_the_user_page(client, setup, user):
    client.force_login(setup["hal"])
    page = client.get("/user/info/user/alice/").content.decode()
    for text in ("alice@example.org", "Example Lab", "+30 210 555", "SHA256:abcdefghijklmnop", "laptop",
                 "new.example.org", 'href="/user/info/group/staff/"', f'href="/notifications/?to=u_{user.pk}"'):
        assert text in page, text
    owned = sorted(name for name, tags in setup["instances"].items()
                   if "ganetimgr:user:alice" in tags or "ganetimgr:group:staff" in tags)
    assert len(owned) == 3
    for name in setup["instances"]:
        assert (f'data-instance="{name}"' in page) == (name in owned), name
    assert "3 instances" in page


def test_the_group_page(client, setup):
    client.force_login(setup["hal"])
    page = client.get("/user/info/group/staff/").content.decode()
    assert 'href="/user/info/user/alice/"' in page and 'href="/user/info/user/gina/"' in page
    assert "not active" in page and "2 members" in page
    assert f'href="/notifications/?to=g_{setup["staff"].pk}"' in page
    owned = [name for name, tags in setup["instances"].items() if "ganetimgr:group:staff" in tags]
    assert len(owned) == 1 and f'data-instance="{owned[0]}"' in page and "1 instance" in page


def test_owner_names_link_to_the_info_pages_for_helpdesk_only(client, setup, user):
    name = next(name for name, tags in setup["instances"].items() if "ganetimgr:group:staff" in tags)
    client.force_login(setup["hal"])
    detail = client.get(f"/instances/c1/{name}/").content.decode()
    assert 'href="/user/info/user/alice/"' in detail and 'href="/user/info/group/staff/"' in detail
    assert f'href="/notifications/?to=i_c1/{name}"' in detail
    home = client.get("/").content.decode()
    assert 'href="/user/info/user/alice/"' in home and 'href="/user/info/group/staff/"' in home
    client.force_login(user)  # the owner sees the owners, unlinked, and no notify button
    detail = client.get(f"/instances/c1/{name}/").content.decode()
    assert "alice" in detail and "/user/info/" not in detail and "/notifications/" not in detail
