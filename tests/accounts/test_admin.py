"""The admin: ganetimgr's permissions shown apart in the group form and given to groups."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db

OWN = ["Can view all instances", "Can lock instances", "Can isolate instances", "Can view all graphs",
       "Can view all applications", "Can view notifications"]


def test_group_form_lists_ganetimgr_permissions_by_name(client, superuser):
    client.force_login(superuser)
    page = client.get("/admin/auth/group/add/").content.decode()
    section = page[page.index('id="id_ganetimgr_permissions"'):page.index('id="id_permissions"')]
    for name in OWN:
        assert name in section
    assert "(notifications.can_view_notif)" in section and "(apply.view_applications)" in section


def test_group_gets_the_chosen_permissions(client, superuser, user):
    client.force_login(superuser)
    page = client.get("/admin/auth/group/add/")
    choices = {label: value for value, label in page.context["adminform"].form.fields["ganetimgr_permissions"].choices}
    chosen = [choices[label].value for label in choices if label.startswith(("Can view all instances",
                                                                              "Can view notifications"))]
    response = client.post("/admin/auth/group/add/", {"name": "helpdesk", "ganetimgr_permissions": chosen})
    assert response.status_code == 302
    group = Group.objects.get(name="helpdesk")
    assert sorted(group.permissions.values_list("codename", flat=True)) == ["can_view_notif", "view_instances"]
    user.groups.add(group)
    assert user.has_perm("ganeti.view_instances") and user.has_perm("notifications.can_view_notif")
    assert not user.has_perm("ganeti.can_lock")
    # Editing keeps what was chosen and removes what was unticked.
    edit = client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "helpdesk",
                                                                 "ganetimgr_permissions": chosen[:1]})
    assert edit.status_code == 302 and group.permissions.count() == 1


def test_user_admin_shows_profile_and_keys(client, superuser, user):
    client.force_login(superuser)
    page = client.get(f"/admin/auth/user/{user.pk}/change/").content.decode()
    assert "Organization" in page and "SSH keys" in page
