"""Models of the notifications app: none yet."""
