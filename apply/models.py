"""Models of the apply app: none yet."""
