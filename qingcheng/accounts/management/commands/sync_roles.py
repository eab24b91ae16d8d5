from django.core.management.base import BaseCommand

from qingcheng.accounts.services import roles_sync


class Command(BaseCommand):
    help = "Create or update one group per role with exactly that role's permissions."

    def handle(self, *args, **options):
        for key, count in roles_sync().items():
            self.stdout.write(f"{key}: {count} permissions")
