"""Writes of the intake channels (受理渠道), one module per channel: supervisor reports and field-task
results (`supervisors`, 城管通), hotline work orders (`hotline`: 12319 calls, orders transferred from 12345
and 110), public reports with tracking and rating (`public`), and machine events (`machines`: sensor
alarms, video analytics). They share nothing but the case services and catalogue.

Every channel ends in `cases.services.case_report` or `case_act`; bad input raises before anything is
written and every intake accepts an idempotency key (machines: their own event id). The public names are
re-exported here, so `from qingcheng.intake import services` keeps working for callers.
"""

from .hotline import (
    CHANNEL_SOURCES,
    HotlineResult,
    hotline_callback,
    hotline_order_close,
    hotline_order_create,
    hotline_transfer_110,
)
from .machines import FUTURE_SKEW, MAX_PAYLOAD_BYTES, MachineResult, machine_event_ingest
from .public import public_rate, public_report
from .supervisors import supervisor_report, supervisor_task_result

__all__ = [
    "CHANNEL_SOURCES",
    "FUTURE_SKEW",
    "MAX_PAYLOAD_BYTES",
    "HotlineResult",
    "MachineResult",
    "hotline_callback",
    "hotline_order_close",
    "hotline_order_create",
    "hotline_transfer_110",
    "machine_event_ingest",
    "public_rate",
    "public_report",
    "supervisor_report",
    "supervisor_task_result",
]
