"""Secrets at rest: encrypted under a key derived from SECRET_KEY, readable through key rotation."""

import pytest
from django.core.management import call_command

from ganeti.models import Cluster
from ganetimgr.crypto import SecretDecryptionError, decrypt_secret, encrypt_secret, needs_reencryption


def test_round_trip_and_no_plain_text(settings):
    token = encrypt_secret("hunter2-ελληνικά")
    assert "hunter2" not in token
    assert decrypt_secret(token) == "hunter2-ελληνικά"
    assert encrypt_secret("same") != encrypt_secret("same")  # random IV


def test_old_key_in_fallbacks_still_decrypts(settings):
    settings.SECRET_KEY = "old-key-" * 8
    token = encrypt_secret("pw")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "new-key-" * 8
    assert decrypt_secret(token) == "pw" and needs_reencryption(token)
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(SecretDecryptionError, match="SECRET_KEY_FALLBACKS"):
        decrypt_secret(token)


@pytest.mark.django_db
def test_reencrypt_secrets_moves_passwords_to_the_current_key(settings):
    settings.SECRET_KEY = "old-key-" * 8
    cluster = Cluster(hostname="c.example.org", slug="c", username="u")
    cluster.password = "pw"
    cluster.save()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "new-key-" * 8
    call_command("reencrypt_secrets")
    cluster.refresh_from_db()
    settings.SECRET_KEY_FALLBACKS = []
    assert cluster.password == "pw" and not needs_reencryption(cluster.password_encrypted)


@pytest.mark.django_db
def test_reencrypt_secrets_reports_passwords_no_key_can_read(settings):
    from django.core.management.base import CommandError

    settings.SECRET_KEY = "lost-key" * 8
    lost = Cluster(hostname="lost.example.org", slug="lost", username="u")
    lost.password = "gone"
    lost.save()
    settings.SECRET_KEY = "old-key-" * 8
    old = Cluster(hostname="old.example.org", slug="old", username="u")
    old.password = "pw"
    old.save()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "new-key-" * 8
    with pytest.raises(CommandError, match="RAPI password of cluster\\(s\\) lost: enter it again"):
        call_command("reencrypt_secrets")
    old.refresh_from_db()
    assert not needs_reencryption(old.password_encrypted)  # the readable one was still converted
