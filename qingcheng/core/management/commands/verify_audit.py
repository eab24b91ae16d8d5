from django.core.management.base import BaseCommand, CommandError

from qingcheng.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; exit non-zero at the first broken link."

    def handle(self, *args, **options) -> None:
        result = audit_verify()
        if result.broken is not None:
            raise CommandError(
                f"audit chain broken at entry #{result.broken.seq}: {result.broken.reason} "
                f"({result.checked} entries verified before it)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {result.checked} entries verified"))
