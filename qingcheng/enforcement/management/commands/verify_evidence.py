from django.core.management.base import BaseCommand, CommandError

from qingcheng.enforcement.evidence.services import evidence_verify
from qingcheng.enforcement.models import PenaltyCase


class Command(BaseCommand):
    help = (
        "Verify every evidence file, evidence row and its audit entry, and the audit log's hash chain; "
        "exit non-zero when anything was changed or is missing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--case", help="only the evidence of this case number")

    def handle(self, *args, **options) -> None:
        case = None
        if options.get("case"):
            case = PenaltyCase.objects.filter(number=options["case"]).first()
            if case is None:
                raise CommandError(f"no case {options['case']}")
        problems = evidence_verify(case=case)
        for problem in problems:
            self.stderr.write(f"evidence {problem.evidence_id or '-'}: {problem.code}: {problem.detail}")
        if problems:
            raise CommandError(f"{len(problems)} integrity problem(s) found")
        self.stdout.write(
            self.style.SUCCESS("evidence intact: files, rows, audit entries and chain verified")
        )
