from django.core.management.base import BaseCommand, CommandError

from qingcheng.components.io import FORMATS, import_components
from qingcheng.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import components (部件) from CSV, XLSX or GeoJSON. All or nothing unless --skip-errors; every failing "
        "row is reported. Exit status 1 when any row failed (also with --skip-errors, after writing the good rows)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=FORMATS, help="default: from the file name")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument(
            "--skip-errors", action="store_true", help="write the good rows, report the bad ones"
        )

    def handle(self, *args, **options):
        try:
            report = import_components(
                options["file"],
                fmt=options["format"],
                dry_run=options["dry_run"],
                skip_errors=options["skip_errors"],
                progress=options["verbosity"] > 0,
            )
        except FileNotFoundError as exc:
            raise CommandError(f"文件不存在 file not found: {exc.filename}") from None
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None
        for error in report.errors:
            self.stderr.write(error.line())
        self.stdout.write(report.summary())
        if report.errors:
            raise CommandError(f"{len(report.failed_rows)} 行有错误 rows failed", returncode=1)
