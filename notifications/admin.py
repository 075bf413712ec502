"""Admin pages of the notifications app: none yet."""
