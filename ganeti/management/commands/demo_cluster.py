from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ganeti.models import Cluster
from ganeti.services import cluster_save

SLUG = "demo"


class Command(BaseCommand):
    help = (
        "Register (or update) the demo's simulated Ganeti cluster (slug 'demo') with its RAPI address and "
        "credentials; the password is read from a file and stored encrypted. The certificate is pinned at "
        "first contact, as for any cluster."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hostname", required=True, help="RAPI address of the simulator")
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--username", required=True, help="RAPI user (write access)")
        parser.add_argument("--password-file", required=True, help="file holding the RAPI password")

    def handle(self, *args, hostname, port, username, password_file, **options):
        try:
            password = Path(password_file).read_text().strip()
        except OSError as error:
            raise CommandError(f"cannot read the RAPI password: {error}") from error
        if not password:
            raise CommandError(f"{password_file} is empty")
        cluster = Cluster.objects.filter(slug=SLUG).first() or Cluster(slug=SLUG)
        cluster.hostname, cluster.port, cluster.username = hostname, port, username
        cluster.description = "Demo cluster (simulated)"
        created = cluster.pk is None
        cluster_save(cluster=cluster, new_password=password)
        self.stdout.write(f"{'registered' if created else 'updated'} cluster {SLUG}: {hostname}:{port} "
                          f"(RAPI user {username})")
