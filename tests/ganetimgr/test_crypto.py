"""Secrets at rest: encrypted under a key derived from SECRET_KEY, readable through key rotation."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ganeti.models import Cluster
from ganeti.services import cluster_save
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


def cluster_with_password(slug, password, *, secret_key, settings):
    """A cluster whose RAPI password was stored while SECRET_KEY was secret_key."""
    settings.SECRET_KEY = secret_key
    return cluster_save(cluster=Cluster(hostname=f"{slug}.example.org", slug=slug, username="u"),
                        new_password=password)


def rotate_key(settings):
    """The current key becomes a fallback; a new key takes its place."""
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "new-key-" * 8


@pytest.mark.django_db
def test_reencrypt_secrets_moves_passwords_to_the_current_key(settings):
    cluster = cluster_with_password("c", "pw", secret_key="old-key-" * 8, settings=settings)
    rotate_key(settings)
    call_command("reencrypt_secrets")
    cluster.refresh_from_db()
    settings.SECRET_KEY_FALLBACKS = []
    assert cluster.password == "pw" and not needs_reencryption(cluster.password_encrypted)


@pytest.mark.django_db
def test_reencrypt_secrets_reports_passwords_no_key_can_read(settings):
    cluster_with_password("lost", "gone", secret_key="lost-key" * 8, settings=settings)
    old = cluster_with_password("old", "pw", secret_key="old-key-" * 8, settings=settings)
    rotate_key(settings)
    with pytest.raises(CommandError, match="RAPI password of cluster\\(s\\) lost: enter it again"):
        call_command("reencrypt_secrets")
    old.refresh_from_db()
    assert not needs_reencryption(old.password_encrypted)  # the readable one was still converted
