"""Fixtures of the API tests: one simulated cluster per module, users, OAuth clients and tokens.

`make_token(user, "read write")` issues a token as django-oauth-toolkit stores it (hashed); the grant
flows that hand out tokens are tested end to end in test_oauth_flows.py."""

import secrets
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, set_token_value

from tests.ganeti.instance_setup import names
from tests.helpers import add_cluster
from tests.simulator import start_simulator

REDIRECT_URI = "https://client.example.org/callback"


@pytest.fixture(scope="module")
def api_sim(tmp_path_factory):
    """6 instances: the 2nd, 4th and 6th by name are alice's (user tag); the 6th is group 'staff''s too.
    Jobs end at once."""
    sim = start_simulator(tmp_path_factory.mktemp("api-sim"), instances=6, owners="alice", owner_groups="staff",
                          seed=3, job_duration_ms=0)
    yield sim
    sim.stop()


@pytest.fixture
def api_cluster(api_sim, db, empty_inventory):
    return add_cluster(api_sim, "c1")


@pytest.fixture
def sim_names(api_sim):
    return names(api_sim)


@pytest.fixture
def people(django_user_model, user):
    """alice (owner by user tag), gina (in group staff), oscar (owns nothing), hal (helpdesk); only alice
    has a password (hashing one costs a good part of a second): the others use tokens."""
    staff = Group.objects.create(name="staff")
    gina = django_user_model.objects.create_user("gina", "gina@example.org")
    gina.groups.add(staff)
    hal = django_user_model.objects.create_user("hal", "hal@example.org")
    hal.user_permissions.add(Permission.objects.get(codename="view_instances"))
    oscar = django_user_model.objects.create_user("oscar", "oscar@example.org")
    return {"alice": user, "gina": gina, "hal": hal, "oscar": oscar}


@pytest.fixture
def oauth_client(db, django_user_model):
    """A public authorization-code client (PKCE), registered by its developer."""
    developer = django_user_model.objects.create_user("dev", "dev@example.org")
    return Application.objects.create(
        name="Instance lister", user=developer, client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE, redirect_uris=REDIRECT_URI)


@pytest.fixture
def make_token(oauth_client):
    def make(user, scope="read", *, expires_in=3600):
        raw = secrets.token_urlsafe(24)
        token = AccessToken(user=user, application=oauth_client, scope=scope,
                            expires=timezone.now() + timedelta(seconds=expires_in))
        set_token_value(token, raw)
        token.save()
        return raw

    return make


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
