import json
import os
import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

ACCOUNTS = (("admin", "admin", True), ("user", "demo", False), ("helpdesk", "helpdesk", False))  # (role, username, superuser)
# The helpdesk account's permissions (app label, codename): every instance, notifications archive, every
# graph, the applications list.
HELPDESK_PERMISSIONS = (("ganeti", "view_instances"), ("notifications", "can_view_notif"),
                        ("ganeti", "view_all_graphs"), ("apply", "view_applications"))


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo's admin, plain user and helpdesk user, with passwords kept in a file so a "
        "second run prints the same ones; prints 'admin login: NAME / PASSWORD', 'user login: NAME / PASSWORD' "
        "and 'helpdesk login: NAME / PASSWORD'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--credentials-file", required=True, help="JSON file keeping the passwords (mode 0600)")
        parser.add_argument("--force", action="store_true", help="run on a database other than the demo's SQLite")

    @transaction.atomic
    def handle(self, *args, credentials_file, force, **options):
        if connection.vendor != "sqlite" and not force:
            raise CommandError("this makes the demo's accounts (it resets 'admin' and 'demo'); the database is "
                               f"{connection.vendor}, not the demo's SQLite: refusing without --force")
        path = Path(credentials_file)
        stored = json.loads(path.read_text()) if path.exists() else {}
        User = get_user_model()
        for _role, username, superuser in ACCOUNTS:
            password = stored.get(username) or secrets.token_urlsafe(12)
            stored[username] = password
            user, _ = User.objects.get_or_create(username=username)
            user.email = f"{username}@example.org"
            user.is_active = True
            user.is_staff = user.is_superuser = superuser
            if not user.check_password(password):  # unchanged hashes keep existing sessions valid
                user.set_password(password)
            user.save()
            if username == "helpdesk":
                user.user_permissions.set(self._helpdesk_permissions())
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle)
        for role, username, _superuser in ACCOUNTS:
            self.stdout.write(f"{role} login: {username} / {stored[username]}")

    def _helpdesk_permissions(self):
        found = []
        for app_label, codename in HELPDESK_PERMISSIONS:
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is None:  # an app of this version without it: the rest still apply
                self.stderr.write(f"demo_accounts: no permission {app_label}.{codename}; helpdesk gets the others")
            else:
                found.append(permission)
        return found
