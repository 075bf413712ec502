"""Models of the auditlog app: none yet."""
