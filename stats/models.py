"""Models of the stats app: none yet."""
