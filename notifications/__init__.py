"""Mail to instance owners and its archive."""
