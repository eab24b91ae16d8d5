from django.core.management.base import BaseCommand, CommandError

from qingcheng.accounts.models import User
from qingcheng.accounts.services import api_key_create


class Command(BaseCommand):
    help = "Issue an API key for a user; the secret is printed once and never stored."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        _key, raw = api_key_create(actor=None, user=user, name=options["name"])
        self.stdout.write(raw)
