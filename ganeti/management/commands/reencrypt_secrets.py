from django.core.management.base import BaseCommand, CommandError

from ganeti.models import Cluster
from ganeti.services import cluster_reencrypt_password
from ganetimgr.crypto import SecretDecryptionError, needs_reencryption


class Command(BaseCommand):
    help = "Rewrite RAPI passwords stored under a SECRET_KEY_FALLBACKS key under the current SECRET_KEY."

    def handle(self, *args, **options):
        done, unreadable = 0, []
        for cluster in Cluster.objects.exclude(password_encrypted=""):
            try:
                if not needs_reencryption(cluster.password_encrypted):
                    continue
            except SecretDecryptionError:
                unreadable.append(cluster.slug)
                continue
            cluster_reencrypt_password(cluster=cluster)
            done += 1
            self.stdout.write(f"re-encrypted the RAPI password of cluster {cluster.slug}")
        self.stdout.write(f"{done} password(s) re-encrypted")
        if unreadable:
            raise CommandError(
                f"no key in SECRET_KEY or SECRET_KEY_FALLBACKS decrypts the RAPI password of cluster(s) "
                f"{', '.join(unreadable)}: enter it again in the admin"
            )
