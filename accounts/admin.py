"""Admin pages of the accounts app: none yet."""
