#!/usr/bin/env python
"""Django's command-line utility for ganetimgr."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ganetimgr.settings")
    from django.core.management import execute_from_command_line

    from ganetimgr.preflight import fail_cleanly

    with fail_cleanly():
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
