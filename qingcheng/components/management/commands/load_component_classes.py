from django.core.management.base import BaseCommand

from qingcheng.components.classes import load_component_classes


class Command(BaseCommand):
    help = "Create or update the standard component classes (GB/T 30428.2) from components/data/component_classes.csv."

    def handle(self, *args, **options):
        counts = load_component_classes()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))
