"""Admin pages of the auditlog app: none yet."""
