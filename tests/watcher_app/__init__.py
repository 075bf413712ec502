"""A Django app with queue handlers for the watcher tests (installed only by tests.watcher_settings)."""
