"""After an upgrade: mark the accounts an LDAP login made before ganetimgr recorded that."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import profiles_mark_directory


class Command(BaseCommand):
    help = ("Mark accounts as made by the directory (LDAP), so that their owners may log in through it: "
            "the named ones, or with --without-password every account that has no usable local password "
            "(how django-auth-ldap makes them; check the list with --dry-run first).")

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", metavar="USERNAME")
        parser.add_argument("--without-password", action="store_true",
                            help="every account without a usable local password")
        parser.add_argument("--dry-run", action="store_true", help="list the accounts, change nothing")

    def handle(self, *args, usernames, without_password, dry_run, **options):
        if bool(usernames) == without_password:
            raise CommandError("name the accounts, or give --without-password (not both)")
        users = get_user_model().objects.order_by("username")
        if usernames:
            users = list(users.filter(username__in=usernames))
            missing = sorted(set(usernames) - {user.username for user in users})
            if missing:
                raise CommandError(f"no account named {', '.join(missing)}")
        else:
            users = [user for user in users if not user.has_usable_password()]
        for user in users:
            self.stdout.write(user.username)
        if not dry_run:
            changed = profiles_mark_directory(users=users)
            self.stdout.write(f"{changed} account(s) marked as directory accounts")
