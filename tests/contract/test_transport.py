"""TLS as the app uses it against RAPI's self-signed certificates: pinning, verification off, and
verification against the system store failing as a TLS error."""

import ssl

import pytest

from ganeti.rapi.client import GanetiApiError, RapiClient, fetch_certificate_fingerprint


def test_pinned_fingerprint_accepts_the_server_certificate_and_a_wrong_one_is_a_tls_error(rapi):
    fingerprint = fetch_certificate_fingerprint(rapi.host, rapi.port)
    assert len(fingerprint.split(":")) == 32
    pinned = rapi.client_as(rapi.username, rapi.password, fingerprint=fingerprint)
    assert pinned.get_info()["name"] == rapi.client.get_info()["name"]

    wrong = "00:" * 31 + "00"
    with pytest.raises(GanetiApiError) as error:
        rapi.client_as(rapi.username, rapi.password, fingerprint=wrong).get_info()
    assert error.value.kind == "tls" and error.value.code is None


def test_verification_against_the_system_store_rejects_the_self_signed_certificate(rapi):
    verified = RapiClient(rapi.host, rapi.port, username=rapi.username, password=rapi.password, verify=True)
    with pytest.raises(GanetiApiError) as error:
        verified.get_info()
    assert error.value.kind == "tls"


@pytest.mark.parametrize("tls", ["verify-off", "pinned"])
def test_tls_settings_hold_when_a_ca_bundle_is_set_in_the_environment(rapi, monkeypatch, tls):
    """REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE are commonly set system-wide (this machine has them). A
    session's `verify` loses against them in requests unless the request passes `verify` itself,
    which would make every self-signed cluster unreachable."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ssl.get_default_verify_paths().openssl_cafile)
    monkeypatch.setenv("CURL_CA_BUNDLE", ssl.get_default_verify_paths().openssl_cafile)
    options = {"fingerprint": fetch_certificate_fingerprint(rapi.host, rapi.port)} if tls == "pinned" else {}
    client = rapi.client_as(rapi.username, rapi.password, **options)
    assert client.get_info()["name"]
