"""Admin pages of the apply app: none yet."""
