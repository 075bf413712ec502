"""Idle accounts: the helpdesk page and the `idle_accounts` command that mails them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def idle_people(django_user_model, settings):
    long_ago = timezone.now() - timedelta(days=settings.IDLE_ACCOUNT_NOTIFICATION_DAYS + 1)
    recently = timezone.now() - timedelta(days=1)
    make = django_user_model.objects.create_user
    make("sleepy", "sleepy@example.org", "pw-sleepy-123", last_login=long_ago, first_name="Sleepy")
    make("never", "never@example.org", "pw-never-123", date_joined=long_ago)
    make("fresh", "fresh@example.org", "pw-fresh-123", last_login=recently)
    make("nomail", "", "pw-nomail-123", last_login=long_ago)
    make("gone", "gone@example.org", "pw-gone-123", last_login=long_ago, is_active=False)


def idle_names(response):
    body = response.content.decode()
    table = body[body.index('id="idle-accounts"'):body.index("</table>")]
    return [cell.split("</td>")[0] for cell in table.split("<tr><td>")[1:]]


def test_helpdesk_sees_idle_accounts(client, user, idle_people):
    client.force_login(user)
    assert client.get("/user/idle/").status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_instances"))
    response = client.get("/user/idle/")
    assert response.status_code == 200
    assert idle_names(response) == ["sleepy", "never"] or idle_names(response) == ["never", "sleepy"]
    assert "Idle accounts" in response.content.decode()


def test_sidebar_shows_idle_accounts_to_helpdesk_only(client, user):
    client.force_login(user)
    assert 'href="/user/idle/"' not in client.get("/").content.decode()
    user.user_permissions.add(Permission.objects.get(codename="view_instances"))
    assert 'href="/user/idle/"' in client.get("/").content.decode()


@pytest.mark.integration
def test_command_mails_each_idle_user_through_smtp(idle_people, smtp_sink):
    out = StringIO()
    call_command("idle_accounts", "--site-url", "https://vms.example.org", stdout=out)
    assert "2 of 2 idle accounts mailed" in out.getvalue()
    mail = smtp_sink.wait_for("sleepy@example.org", "Please confirm your account")
    assert "you have not logged in as sleepy for more than" in mail["body"]
    assert "https://vms.example.org/user/login/" in mail["body"]
    smtp_sink.wait_for("never@example.org", "Please confirm your account")
    assert not smtp_sink.to("fresh@example.org") and not smtp_sink.to("gone@example.org")


def test_command_dry_run_and_bad_arguments(idle_people, mailoutbox, settings):
    out = StringIO()
    call_command("idle_accounts", "--dry-run", "--site-url", "https://x", stdout=out)
    assert "sleepy <sleepy@example.org>" in out.getvalue() and "no mail sent" in out.getvalue()
    assert not mailoutbox
    with pytest.raises(CommandError, match="--days must be at least 1"):
        call_command("idle_accounts", "--days", "0")
    settings.ALLOWED_HOSTS = ["*"]
    with pytest.raises(CommandError, match="give --site-url"):
        call_command("idle_accounts")
    settings.ALLOWED_HOSTS = [".example.org", "vms.example.org"]
    call_command("idle_accounts", "--days", "100000", stdout=out)
    assert "0 of 0 idle accounts mailed" in out.getvalue()
