"""Models of the accounts app: the profile beside Django's User, and users' SSH public keys."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["UserProfile", "SshKey"]


class UserProfile(models.Model):
    """What ganetimgr keeps about a user beside Django's User: contact details, the welcome flag, whether
    the directory (LDAP) made the account, and the counter that makes e-mail change links single-use."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    organization = models.CharField(_("organization"), max_length=255, blank=True)
    telephone = models.CharField(_("telephone"), max_length=30, blank=True)
    first_login = models.BooleanField(_("first login pending"), default=True,
                                      help_text=_("Shows the welcome message at the next login."))
    directory_user = models.BooleanField(
        _("directory (LDAP) account"), default=False,
        help_text=_("Made by an LDAP login: only such accounts accept directory logins, and their name, "
                    "address and password come from the directory."))
    # Bumped by every e-mail change link used: a link carries the value it was made with, so it works once.
    email_changes = models.PositiveIntegerField(_("e-mail changes"), default=0, editable=False)

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self):
        return self.user.get_username()


class SshKey(models.Model):
    """One OpenSSH public key of a user, put on the virtual machines the user creates."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ssh_keys")
    key_type = models.CharField(_("type"), max_length=64)
    public_key = models.TextField(_("public key"), help_text=_("The base64 part of the key line."))
    comment = models.CharField(_("comment"), max_length=255, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=100)
    created = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("SSH key")
        verbose_name_plural = _("SSH keys")
        constraints = [models.UniqueConstraint(fields=["user", "fingerprint"], name="one_key_per_user_and_fingerprint")]

    def __str__(self):
        return f"{self.key_type} {self.fingerprint} {self.comment}".strip()

    @property
    def line(self) -> str:
        """The key as an authorized_keys line."""
        return " ".join(part for part in (self.key_type, self.public_key, self.comment) if part)
