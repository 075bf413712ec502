"""Models of the accounts app: none yet."""
