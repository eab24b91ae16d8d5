import time

from django.core.management.base import BaseCommand, CommandError

from qingcheng.components.synthetic import generate_synthetic_components
from qingcheng.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a synthetic component inventory (合成数据, labelled synthetic) inside the current grids."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            created = generate_synthetic_components(
                count=options["count"], seed=options["seed"], batch_size=options["batch_size"]
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None
        seconds = time.perf_counter() - started
        if created == 0:
            self.stdout.write("已有合成部件，未重复生成 synthetic components already exist; nothing done")
        else:
            self.stdout.write(
                f"已生成 {created} 个合成部件 created {created} synthetic components in {seconds:.1f} s"
            )
