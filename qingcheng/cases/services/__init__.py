"""Writes of the case loop, one module a section:

- `reporting`: a report from any channel becomes a case (`case_report`, `ReportResult`);
- `actions`: every step of the workflow table (`case_act`, its `HANDLERS`) and remarks (`case_comment`);
- `sweeps`: the periodic sweeps (`case_overdue_sweep`, `case_public_photo_sweep`);
- `records`: what all of them leave behind (timeline, audit, deadlines, notifications, photos).

The public names are repeated here so that `from qingcheng.cases import services` and
`from qingcheng.cases.services import case_act` keep working for the channels, domains and pages.
"""

from .actions import HANDLERS, PUBLIC_ACTIONS, case_act, case_comment
from .records import PhotoUpload
from .reporting import ReportResult, case_report
from .sweeps import case_overdue_sweep, case_public_photo_sweep

__all__ = [
    "HANDLERS",
    "PUBLIC_ACTIONS",
    "PhotoUpload",
    "ReportResult",
    "case_act",
    "case_comment",
    "case_overdue_sweep",
    "case_public_photo_sweep",
    "case_report",
]
