"""SSH public keys: parsing and fingerprints (checked against ssh-keygen), the keys page, deleting by POST."""

import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.exceptions import ValidationError

from accounts.models import SshKey
from accounts.selectors import ssh_keys_of
from accounts.sshkeys import parse_key_line


# A real 1024-bit DSA public key (cryptography deprecates making DSA keys, so it is written out).
DSA_LINE = ("ssh-dss "
            "AAAAB3NzaC1kc3MAAACBANByHPK25PXccfR3WbGewp10e9oM87gAs8S77w+Zym7DZxcsH+K/VzD+f/6o995mESJ5rF9cB1ZaaAiH"
            "AuygVN2SOkzsek8S6dqust1sp351+iN4NFCrzs31dE94kdizi5S2/RChX90TMQtOhCPQ7ryJgbfGs3+qP/vTiFBXvSIXAAAAFQDs"
            "wrdBGpP6hGsTIdxlNkQ51Xo9ewAAAIEArEeIy1uFeoM1vhzhgqYoZFQHsl8Hg9Jmly+EP3uyheUMVVtr00azhZTHc+OqMxDvGTKV"
            "5QCuCXPQ9pjVBXSdGF5qR8VVNGAaHLVbA8znYLoZi6MNJzj8QZm7b+37dF7pcmWC1SEwFyuKtCY0/0ZQt/RpbBac2Nx5sxFDjbYj"
            "m1wAAACALw1AMLG8b9U2lp+EdkW5yDWxHS3pr79DXWJAXxw9tRfsTEgi0aHdHsP14iBx93UI5CKgrEwRSxQOOgOzYI3idXnbshyl"
            "E4kAzBGXpNKqqcvxyDa61TsORKxuLYhtuwQzSrKUwhNUsEvU1T6r4NIMVIMIveiqOHIb4EuW6JKkgG4="
            " old@box")


def openssh_line(private_key, comment="") -> str:
    line = private_key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                 serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}".strip()


def ssh_keygen_fingerprint(line: str, tmp_path) -> str:
    path = tmp_path / "key.pub"
    path.write_text(line + "\n")
    output = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(path)], capture_output=True, text=True,
                            check=True).stdout
    return output.split()[1]


def ed25519_line(comment="me@laptop"):
    return openssh_line(ed25519.Ed25519PrivateKey.generate(), comment)


@pytest.mark.parametrize("make_key, key_type", [
    (lambda: ed25519.Ed25519PrivateKey.generate(), "ssh-ed25519"),
    (lambda: ec.generate_private_key(ec.SECP256R1()), "ecdsa-sha2-nistp256"),
    (lambda: ec.generate_private_key(ec.SECP384R1()), "ecdsa-sha2-nistp384"),
    (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "ssh-rsa"),
])
def test_accepted_keys_get_the_fingerprint_openssh_shows(make_key, key_type, tmp_path):
    line = openssh_line(make_key(), "alice@work laptop")
    parsed = parse_key_line(line)
    assert parsed.key_type == key_type and parsed.comment == "alice@work laptop"
    assert parsed.fingerprint == ssh_keygen_fingerprint(line, tmp_path)
    assert parsed.public_key == line.split()[1]


@pytest.mark.parametrize("line, message", [
    (DSA_LINE, "DSA keys are no longer safe"),
    (openssh_line(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
     "This RSA key has 1024 bits; at least 2048 are needed."),
    ("ssh-ed25519", "is not an OpenSSH public key line"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI!!!", "is damaged"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq", "is damaged"),
    ("ssh-foo AAAAB3NzaC1yc2E= x", "Keys of type “ssh-foo” are not accepted"),
    ('from="10.0.0.1" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5', "are not accepted"),
    # an ed25519 blob labelled as RSA
    ("ssh-rsa " + ed25519_line().split()[1], "is damaged"),
])
def test_bad_keys_are_refused_with_a_clear_message(line, message):
    with pytest.raises(ValidationError) as refused:
        parse_key_line(line)
    assert message in refused.value.messages[0]


@pytest.mark.django_db
class TestKeysPage:
    def test_add_several_keys_and_see_their_fingerprints(self, client, user, tmp_path):
        client.force_login(user)
        first, second = ed25519_line("one"), openssh_line(ec.generate_private_key(ec.SECP256R1()), "two")
        response = client.post("/user/keys/", {"keys": f"{first}\n\n# my keys\n{second}\n"}, follow=True)
        page = response.content.decode()
        assert "Keys added: 2." in page
        for line in (first, second):
            assert ssh_keygen_fingerprint(line, tmp_path) in page
        assert [key.line for key in ssh_keys_of(user)] == [first, second]

    def test_duplicates_are_skipped_and_said_so(self, client, user):
        client.force_login(user)
        line = ed25519_line()
        client.post("/user/keys/", {"keys": line})
        response = client.post("/user/keys/", {"keys": f"{line}\n{line}"}, follow=True)
        assert "You have these keys already: SHA256:" in response.content.decode()
        assert ssh_keys_of(user).count() == 1

    def test_one_bad_line_adds_nothing_and_names_the_line(self, client, user):
        client.force_login(user)
        response = client.post("/user/keys/", {"keys": f"{ed25519_line()}\n{DSA_LINE}"})
        assert response.status_code == 200
        assert "Line 2: DSA keys are no longer safe" in response.content.decode()
        assert not SshKey.objects.exists()

    def test_empty_input_is_a_form_error(self, client, user):
        client.force_login(user)
        for text in ["", "   \n# only a comment\n"]:
            response = client.post("/user/keys/", {"keys": text})
            assert response.status_code == 200 and response.context["form"].errors["keys"]

    def test_delete_is_a_post_of_ones_own_key(self, client, user, superuser):
        client.force_login(user)
        client.post("/user/keys/", {"keys": ed25519_line()})
        key = SshKey.objects.get()
        assert client.get(f"/user/keys/delete/{key.pk}/").status_code == 405
        client.force_login(superuser)
        assert client.post(f"/user/keys/delete/{key.pk}/").status_code == 404  # not theirs, even for root
        client.force_login(user)
        response = client.post(f"/user/keys/delete/{key.pk}/", follow=True)
        assert "The key was deleted." in response.content.decode() and not SshKey.objects.exists()
        assert client.post(f"/user/keys/delete/{key.pk}/").status_code == 404

    def test_keys_of_others_are_not_shown(self, client, user, superuser):
        client.force_login(superuser)
        roots = ed25519_line("root-key")
        client.post("/user/keys/", {"keys": roots})
        client.force_login(user)
        own = ed25519_line("alice-key")
        client.post("/user/keys/", {"keys": own})
        page = client.get("/user/keys/").content.decode()
        assert parse_key_line(own).fingerprint in page and "alice-key" in page
        assert parse_key_line(roots).fingerprint not in page and "root-key" not in page
        assert [key.line for key in ssh_keys_of(user)] == [own]

    def test_at_most_a_hundred_keys_per_user(self, client, user):
        SshKey.objects.bulk_create(SshKey(user=user, key_type="ssh-ed25519", public_key=f"k{n}",
                                          fingerprint=f"SHA256:old{n}") for n in range(99))
        client.force_login(user)
        response = client.post("/user/keys/", {"keys": f"{ed25519_line()}\n{ed25519_line()}"})
        assert response.status_code == 200
        assert ("You may keep at most 100 SSH keys: you have 99, and these would add 2."
                in response.content.decode())
        assert ssh_keys_of(user).count() == 99
        response = client.post("/user/keys/", {"keys": ed25519_line()}, follow=True)
        assert "Keys added: 1." in response.content.decode() and ssh_keys_of(user).count() == 100

    def test_an_oversized_paste_is_a_form_error(self, client, user):
        client.force_login(user)
        response = client.post("/user/keys/", {"keys": ed25519_line() + "\n#" + "x" * 100_000})
        assert response.status_code == 200
        assert "Paste at most 100000 characters at once" in response.content.decode()
        assert not SshKey.objects.exists()
