"""ganetimgr: a web frontend for many Ganeti clusters."""

__version__ = "3.0.0.dev0"
