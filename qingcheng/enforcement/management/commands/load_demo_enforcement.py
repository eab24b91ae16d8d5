from django.core.management.base import BaseCommand
from django.db import transaction

from qingcheng.enforcement.demo import load_demo_enforcement


class Command(BaseCommand):
    help = "Load synthetic enforcement demo data (bank, monitoring points, penalty cases at every stage)."

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = load_demo_enforcement()
        self.stdout.write(f"demo enforcement: {counts['cases']} penalty cases created")
