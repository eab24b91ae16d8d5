from django.core.management.base import BaseCommand

from qingcheng.demo.users import load_demo_users


class Command(BaseCommand):
    help = "Create the demo departments and one user per role (idempotent)."

    def handle(self, *args, **options):
        counts = load_demo_users()
        self.stdout.write(
            f"demo users: {counts['users']} created, departments: {counts['departments']} created"
        )
