"""LDAP logins beside local accounts, against the throw-away slapd of scripts/with-services.sh."""

import json
import os
import subprocess

import pytest
from django.contrib.auth.models import User

from tests.helpers import PROJECT_DIR, PYTHON

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def test_directory_user_logs_in_and_gets_name_mail_and_staff_from_ldap(client, ldap_settings):
    response = client.post("/user/login/", {"username": "carol", "password": "carol-ldap-pw"}, follow=True)
    assert response.redirect_chain[-1] == ("/", 302)
    assert "Welcome, Carol" in response.content.decode()
    carol = User.objects.get(username="carol")
    assert (carol.first_name, carol.last_name, carol.email) == ("Carol", "Directory", "carol@ganetimgr.test")
    assert carol.is_staff and not carol.has_usable_password()


def test_directory_user_outside_the_group_is_no_staff(client, ldap_settings):
    assert client.post("/user/login/", {"username": "dave", "password": "dave-ldap-pw"}).status_code == 302
    assert not User.objects.get(username="dave").is_staff


def test_wrong_directory_password_and_unknown_users_are_refused(client, ldap_settings):
    for username, password in [("carol", "wrong"), ("nobody", "carol-ldap-pw")]:
        response = client.post("/user/login/", {"username": username, "password": password})
        assert response.status_code == 200 and "Please enter a correct username" in response.content.decode()
    assert not User.objects.filter(username__in=["carol", "nobody"]).exists()


def test_local_accounts_still_log_in(client, user, ldap_settings):
    assert client.post("/user/login/", {"username": "alice", "password": "alice-secret-pw"}).status_code == 302


def test_deactivated_directory_users_lose_their_sessions(client, ldap_settings):
    client.post("/user/login/", {"username": "dave", "password": "dave-ldap-pw"})
    assert client.get("/user/profile/").status_code == 200
    User.objects.filter(username="dave").update(is_active=False)
    assert client.get("/user/profile/").status_code == 302


def test_a_dead_directory_does_not_break_local_logins(client, user, ldap_settings):
    ldap_settings.AUTH_LDAP_SERVER_URI = "ldap://127.0.0.1:9"
    assert client.post("/user/login/", {"username": "carol", "password": "carol-ldap-pw"}).status_code == 200
    assert client.post("/user/login/", {"username": "alice", "password": "alice-secret-pw"}).status_code == 302


SHOW_LDAP = (
    "import json, django; from django.conf import settings; django.setup(); "
    "from django.contrib.auth import authenticate; "
    "user = authenticate(None, username='carol', password='carol-ldap-pw'); "
    "print(json.dumps([settings.AUTHENTICATION_BACKENDS, user and user.get_username(), user and user.is_staff]))"
)


@pytest.mark.slow
def test_settings_from_the_environment_log_a_directory_user_in(project_env):
    """The AUTH_LDAP_* variables as an operator sets them, in a fresh process against slapd."""
    base = os.environ["LDAP_TEST_BASE_DN"]
    env = {**project_env, "AUTH_LDAP_SERVER_URI": os.environ["LDAP_TEST_URI"],
           "AUTH_LDAP_BIND_DN": os.environ["LDAP_TEST_BIND_DN"],
           "AUTH_LDAP_BIND_PASSWORD": os.environ["LDAP_TEST_BIND_PASSWORD"],
           "AUTH_LDAP_USER_SEARCH_BASE": f"ou=people,{base}",
           "AUTH_LDAP_GROUP_SEARCH_BASE": f"ou=groups,{base}",
           "AUTH_LDAP_STAFF_GROUP": f"cn=helpdesk,ou=groups,{base}",
           "DATABASE_URL": f"sqlite:///{project_env['GANETIMGR_VAR_DIR']}/ldap.sqlite3"}
    migrate = subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=PROJECT_DIR, env=env, capture_output=True,
                             text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    # authenticate() without a request: django-axes needs one, so check the LDAP backend on its own.
    env["PYTHONWARNINGS"] = "ignore"
    script = SHOW_LDAP.replace("authenticate(None,", "__import__('accounts.backends').backends.LDAPBackend().authenticate(None,")
    result = subprocess.run([PYTHON, "-c", script], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    backends, username, is_staff = json.loads(result.stdout.strip().splitlines()[-1])
    assert backends[-1] == "accounts.backends.LDAPBackend"
    assert (username, is_staff) == ("carol", True)


@pytest.mark.slow
def test_ldap_without_a_way_to_find_users_stops_start_up(project_env):
    env = {**project_env, "AUTH_LDAP_SERVER_URI": "ldap://127.0.0.1:389"}
    result = subprocess.run([PYTHON, "manage.py", "check"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "set AUTH_LDAP_USER_SEARCH_BASE or AUTH_LDAP_USER_DN_TEMPLATE" in result.stderr


@pytest.mark.parametrize("username", ["dave", "Dave", "DAVE"])
def test_a_directory_user_never_takes_over_a_local_account_without_a_password(client, django_user_model,
                                                                              ldap_settings, caplog, username):
    """As `createsuperuser --noinput` or the admin make them: no usable password, but local."""
    local = django_user_model.objects.create_superuser(username, "dave@local.example.org", None)
    assert not local.has_usable_password()
    response = client.post("/user/login/", {"username": "dave", "password": "dave-ldap-pw"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Please enter a correct username" in response.content.decode()
    assert "directory user dave refused: a local account has that username" in caplog.text
    local.refresh_from_db()
    assert local.email == "dave@local.example.org" and local.is_superuser


def test_a_directory_user_logs_in_again_into_the_account_the_directory_made(client, ldap_settings):
    assert client.post("/user/login/", {"username": "dave", "password": "dave-ldap-pw"}).status_code == 302
    client.post("/user/logout/")
    assert client.post("/user/login/", {"username": "Dave", "password": "dave-ldap-pw"}).status_code == 302
    page = client.get("/user/profile/").content.decode()
    assert "Your password is kept in the directory (LDAP)" in page
    assert "Your e-mail address comes from the directory (LDAP)" in page
    assert User.objects.filter(username__iexact="dave").count() == 1


def test_a_directory_user_never_takes_over_a_local_account_of_the_same_name(client, django_user_model, ldap_settings,
                                                                            caplog):
    django_user_model.objects.create_user("dave", "dave@local.example.org", "dave-local-pw")
    response = client.post("/user/login/", {"username": "dave", "password": "dave-ldap-pw"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "directory user dave refused: a local account has that username" in caplog.text
    assert User.objects.get(username="dave").email == "dave@local.example.org"  # not overwritten from LDAP
    assert client.post("/user/login/", {"username": "dave", "password": "dave-local-pw"}).status_code == 302


def test_mark_directory_users_lets_accounts_from_before_the_upgrade_log_in_again(django_user_model):
    """Accounts an LDAP login made before ganetimgr recorded it (an upgrade) are marked by the command."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    from accounts.services import profile_of

    old_directory = django_user_model.objects.create_user("erin")  # no usable password, as LDAP makes them
    local = django_user_model.objects.create_user("frank", password="frank-secret-pw")
    out = StringIO()
    call_command("mark_directory_users", "--without-password", "--dry-run", stdout=out)
    assert out.getvalue().split() == ["erin"] and not profile_of(old_directory).directory_user
    call_command("mark_directory_users", "--without-password", stdout=StringIO())
    assert profile_of(old_directory).directory_user and not profile_of(local).directory_user
    call_command("mark_directory_users", "frank", stdout=StringIO())
    assert profile_of(local).directory_user
    with pytest.raises(CommandError, match="no account named nobody"):
        call_command("mark_directory_users", "nobody")
    with pytest.raises(CommandError, match="not both"):
        call_command("mark_directory_users", "frank", "--without-password")
