from django.core.management.base import BaseCommand

from ganeti.models import Cluster
from ganeti.services import cluster_reencrypt_password
from ganetimgr.crypto import needs_reencryption


class Command(BaseCommand):
    help = "Rewrite RAPI passwords stored under a SECRET_KEY_FALLBACKS key under the current SECRET_KEY."

    def handle(self, *args, **options):
        done = 0
        for cluster in Cluster.objects.exclude(password_encrypted=""):
            if needs_reencryption(cluster.password_encrypted):
                cluster_reencrypt_password(cluster=cluster)
                done += 1
                self.stdout.write(f"re-encrypted the RAPI password of cluster {cluster.slug}")
        self.stdout.write(f"{done} password(s) re-encrypted")
