from django.core.management.base import BaseCommand, CommandError

from ganetimgr.preflight import SERVICES, check_services


class Command(BaseCommand):
    help = "Check that the database, Redis and beanstalkd answer; one line per service, exit 1 on a failure."

    def add_arguments(self, parser):
        parser.add_argument("services", nargs="*", metavar="SERVICE", help=f"only these of {', '.join(SERVICES)}")

    def handle(self, *args, services, **options):
        unknown = set(services) - set(SERVICES)
        if unknown:
            raise CommandError(f"unknown service(s) {', '.join(sorted(unknown))}: choose from {', '.join(SERVICES)}")
        statuses = check_services(services or SERVICES)
        failed = [status for status in statuses if not status.ok]
        for status in statuses:
            if status.ok and options["verbosity"] >= 1:
                self.stdout.write(status.line())
        if failed:
            raise CommandError("; ".join(status.line() for status in failed), returncode=1)
