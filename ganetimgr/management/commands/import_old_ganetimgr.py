"""Upgrading from the old ganetimgr: bring its users, groups, organizations, SSH keys and clusters over."""

from django.core.management.base import BaseCommand, CommandError

from ganetimgr.config import ConfigError
from ganetimgr.old_import import OldDatabaseError, import_old_rows, read_old_database


class Command(BaseCommand):
    help = ("Read the old ganetimgr's MySQL database (read-only) and add its users (with their password hashes), "
            "groups and memberships, organizations, profiles, SSH keys, clusters (RAPI passwords encrypted) and "
            "networks that are not here yet. Running it again adds only what is still missing.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="url", required=True, metavar="URL",
                            help="the old database, mysql://USER:PASSWORD@HOST:PORT/NAME")
        parser.add_argument("--dry-run", action="store_true", help="report what would be added, write nothing")

    def handle(self, *args, url, dry_run, **options):
        try:
            rows = read_old_database(url)
        except (OldDatabaseError, ConfigError) as exc:
            raise CommandError(str(exc)) from None
        report = import_old_rows(rows, dry_run=dry_run)
        for line in report.lines() + report.remarks:
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("dry run: nothing was written")
