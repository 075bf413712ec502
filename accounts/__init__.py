"""Registration, profile, SSH keys, LDAP and sessions."""
