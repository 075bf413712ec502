from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from accounts.selectors import idle_users
from accounts.services import idle_accounts_notify


class Command(BaseCommand):
    help = ("Mail every active user who has not logged in for IDLE_ACCOUNT_NOTIFICATION_DAYS, asking them to "
            "confirm the account by logging in.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="idle for at least this many days (default: IDLE_ACCOUNT_NOTIFICATION_DAYS)")
        parser.add_argument("--site-url", default=None,
                            help="the site's address for the login link (default: https://<first ALLOWED_HOSTS>)")
        parser.add_argument("--dry-run", action="store_true", help="list the users, mail nobody")

    def handle(self, *args, days, site_url, dry_run, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        if site_url is None:
            hosts = [host for host in settings.ALLOWED_HOSTS if host and not host.startswith((".", "*"))]
            if not hosts:
                raise CommandError("give --site-url: ALLOWED_HOSTS names no host for the login link")
            site_url = f"{'https' if settings.HTTPS else 'http'}://{hosts[0]}"
        users = list(idle_users(days=days))
        for user in users:
            self.stdout.write(f"{user.get_username()} <{user.email}> last login: {user.last_login or 'never'}")
        if dry_run:
            self.stdout.write(f"{len(users)} idle accounts; no mail sent (--dry-run)")
            return
        sent = idle_accounts_notify(users=users, login_url=site_url.rstrip("/") + reverse("accounts:login"))
        self.stdout.write(f"{sent} of {len(users)} idle accounts mailed")
