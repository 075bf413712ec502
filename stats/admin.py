"""Admin pages of the stats app: none yet."""
