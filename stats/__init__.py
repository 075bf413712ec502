"""Statistics pages and their JSON."""
