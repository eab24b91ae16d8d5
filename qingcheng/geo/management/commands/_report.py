"""Printing an import or validation report on the command line."""

from django.utils.translation import get_language


def print_findings(stdout, findings, label: str) -> None:
    english = (get_language() or "").startswith("en")
    for finding in findings:
        where = []
        if finding.row is not None:
            where.append(f"row {finding.row}")
        if finding.codes:
            where.append(",".join(finding.codes))
        if finding.lon is not None:
            where.append(f"at {finding.lon:.6f},{finding.lat:.6f}")
        message = finding.message_en if english else f"{finding.message_zh} / {finding.message_en}"
        stdout.write(f"{label} [{finding.kind}] {' '.join(where)}: {message}")
