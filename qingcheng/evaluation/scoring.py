"""From counts to indicators (rates), composite scores, colour grades and ranks.

Rates are exact fractions until they are shown: percentages rounded half up to two decimals, `None` when
the denominator is zero. Scores are computed from the exact rates and rounded half up to two decimals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import ScoringScheme

TWO = Decimal("0.01")
HUNDRED = Fraction(100)


@dataclass(frozen=True)
class Indicator:
    key: str
    label: Any  # lazy translation
    kind: str  # count | rate | hours | mean


def _i(key: str, label: Any, kind: str = "count") -> Indicator:
    return Indicator(key, label, kind)


REGION_INDICATORS = (
    _i("reports_received", _("Reports received (监督举报数)")),
    _i("reports_valid", _("Valid reports (有效上报数)")),
    _i("valid_report_rate", _("Valid-report rate (有效上报率)"), "rate"),
    _i("due", _("Cases due (应结案数)")),
    _i("deferred", _("Deferred or parked (缓办数)")),
    _i("closed", _("Closed (结案数)")),
    _i("closed_on_time", _("Closed on time (按期结案数)")),
    _i("close_rate", _("Closure rate (结案率)"), "rate"),
    _i("on_time_close_rate", _("On-time closure rate (按期结案率)"), "rate"),
    _i("reached_feedback", _("Cases handled at least once (已反馈数)")),
    _i("reworked", _("Cases reworked (返工案卷数)")),
    _i("rework_rate", _("Rework rate (返工率)"), "rate"),
    _i("reworks", _("Reworks (返工次数)")),
    _i("repeat_reworked", _("Cases reworked repeatedly (多次返工数)")),
    _i("overdue", _("Overdue cases (超期案卷数)")),
    _i("urgent_due", _("Urgent cases due (紧急应结案数)")),
    _i("urgent_closed_on_time", _("Urgent cases closed on time (紧急按期结案数)")),
    _i("urgent_on_time_close_rate", _("Urgent on-time closure rate (紧急按期结案率)"), "rate"),
    _i("mean_handling_hours", _("Mean handling time, working hours (平均处置用时)"), "hours"),
    _i("rated", _("Satisfaction ratings (评价数)")),
    _i("satisfaction_mean", _("Mean satisfaction, 1–5 (平均满意度)"), "mean"),
    _i("satisfaction_rate", _("Satisfaction rate (满意率)"), "rate"),
)
DEPARTMENT_INDICATORS = (
    _i("assigned", _("Cases to handle (应处置数)")),
    _i("deferred", _("Deferred or parked (缓办数)")),
    _i("handled", _("Handled (处置数)")),
    _i("handled_on_time", _("Handled on time (按期处置数)")),
    _i("handled_late", _("Handled late (超期处置数)")),
    _i("handle_rate", _("Handling rate (处置率)"), "rate"),
    _i("on_time_handle_rate", _("On-time handling rate (按期处置率)"), "rate"),
    _i("late_rate", _("Late handling rate (超期处置率)"), "rate"),
    _i("closed", _("Closed (结案数)")),
    _i("reached_feedback", _("Cases handled at least once (已反馈数)")),
    _i("reworked", _("Cases reworked (返工数)")),
    _i("rework_rate", _("Rework rate (返工率)"), "rate"),
    _i("reworks", _("Reworks (返工次数)")),
    _i("repeat_reworked", _("Cases reworked repeatedly (多次返工数)")),
    _i("overdue", _("Overdue cases (超期案卷数)")),
    _i("dispatches_received", _("Dispatches received (接收派遣数)")),
    _i("returns", _("Returns (回退数)")),
    _i("return_rate", _("Return rate (回退率)"), "rate"),
    _i("extended", _("Cases extended (延期案卷数)")),
    _i("extensions", _("Extensions (延期次数)")),
    _i("extension_rate", _("Extension rate (延期率)"), "rate"),
    _i("urgent_due", _("Urgent cases to handle (紧急应处置数)")),
    _i("urgent_handled_on_time", _("Urgent cases handled on time (紧急按期处置数)")),
    _i("urgent_on_time_handle_rate", _("Urgent on-time handling rate (紧急按期处置率)"), "rate"),
    _i("mean_handling_hours", _("Mean handling time, working hours (平均处置用时)"), "hours"),
    _i("rated", _("Satisfaction ratings (评价数)")),
    _i("satisfaction_mean", _("Mean satisfaction, 1–5 (平均满意度)"), "mean"),
    _i("satisfaction_rate", _("Satisfaction rate (满意率)"), "rate"),
)
SUPERVISOR_INDICATORS = (
    _i("reports", _("Reports (上报数)")),
    _i("reports_valid", _("Valid reports (有效上报数)")),
    _i("valid_report_rate", _("Valid-report rate (有效上报率)"), "rate"),
    _i("verify_tasks", _("Verification tasks due (核实任务数)")),
    _i("verify_on_time", _("Verified on time (按时核实数)")),
    _i("verify_on_time_rate", _("On-time verification rate (按时核实率)"), "rate"),
    _i("check_tasks", _("Check tasks due (核查任务数)")),
    _i("check_on_time", _("Checked on time (按时核查数)")),
    _i("check_on_time_rate", _("On-time check rate (按时核查率)"), "rate"),
)
RECEIVER_INDICATORS = (
    _i("decided", _("Reports accepted or rejected (受理数)")),
    _i("opened", _("Cases opened (立案数)")),
    _i("judged", _("With an acceptance deadline (计时受理数)")),
    _i("on_time", _("Accepted on time (按时受理数)")),
    _i("on_time_rate", _("On-time acceptance rate (按时受理率)"), "rate"),
)
DISPATCHER_INDICATORS = (
    _i("dispatches", _("Dispatches (派遣数)")),
    _i("returned", _("Returned as wrongly dispatched (被回退数)")),
    _i("accuracy", _("Dispatch accuracy (派遣准确率)"), "rate"),
    _i("judged", _("Dispatches kept, with a deadline (计时派遣数)")),
    _i("on_time", _("Dispatched on time (按时派遣数)")),
    _i("on_time_rate", _("On-time dispatch rate (按时派遣率)"), "rate"),
)
INDICATORS = {
    "region": REGION_INDICATORS,
    "department": DEPARTMENT_INDICATORS,
    "supervisor": SUPERVISOR_INDICATORS,
    "receiver": RECEIVER_INDICATORS,
    "dispatcher": DISPATCHER_INDICATORS,
}
GRADES = {
    "green": _("Green (良好)"),
    "yellow": _("Yellow (一般)"),
    "red": _("Red (较差)"),
}


def ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def percent(value: Fraction | None) -> Decimal | None:
    return None if value is None else round_two(value * HUNDRED)


def round_two(value: Fraction | float | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Fraction):
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(TWO, rounding=ROUND_HALF_UP)
    return Decimal(repr(value) if isinstance(value, float) else value).quantize(TWO, rounding=ROUND_HALF_UP)


def region_rates(c: Counter) -> dict[str, Fraction | None]:
    base = c["due"] - c["deferred"]
    return {
        "valid_report_rate": ratio(c["reports_valid"], c["reports_received"]),
        "close_rate": ratio(c["closed"], base),
        "on_time_close_rate": ratio(c["closed_on_time"], base),
        "rework_rate": ratio(c["reworked"], c["reached_feedback"]),
        "urgent_on_time_close_rate": ratio(c["urgent_closed_on_time"], c["urgent_due"]),
        "satisfaction_rate": ratio(c["satisfied"], c["rated"]),
    }


def department_rates(c: Counter) -> dict[str, Fraction | None]:
    base = c["assigned"] - c["deferred"]
    return {
        "handle_rate": ratio(c["handled"], base),
        "on_time_handle_rate": ratio(c["handled_on_time"], base),
        "late_rate": ratio(c["handled_late"], c["handled"]),
        "rework_rate": ratio(c["reworked"], c["reached_feedback"]),
        "return_rate": ratio(c["returns"], c["dispatches_received"]),
        "extension_rate": ratio(c["extended"], c["assigned"]),
        "urgent_on_time_handle_rate": ratio(c["urgent_handled_on_time"], c["urgent_due"]),
        "satisfaction_rate": ratio(c["satisfied"], c["rated"]),
    }


def supervisor_rates(c: Counter) -> dict[str, Fraction | None]:
    return {
        "valid_report_rate": ratio(c["reports_valid"], c["reports"]),
        "verify_on_time_rate": ratio(c["verify_on_time"], c["verify_tasks"]),
        "check_on_time_rate": ratio(c["check_on_time"], c["check_tasks"]),
    }


def receiver_rates(c: Counter) -> dict[str, Fraction | None]:
    return {"on_time_rate": ratio(c["on_time"], c["judged"])}


def dispatcher_rates(c: Counter) -> dict[str, Fraction | None]:
    returned = ratio(c["returned"], c["dispatches"])
    return {
        "accuracy": None if returned is None else 1 - returned,
        "on_time_rate": ratio(c["on_time"], c["judged"]),
    }


RATES = {
    "region": region_rates,
    "department": department_rates,
    "supervisor": supervisor_rates,
    "receiver": receiver_rates,
    "dispatcher": dispatcher_rates,
}


def indicator_values(
    kind: str, counts: Counter, *, mean_hours: float | None = None
) -> tuple[dict[str, Any], dict[str, Fraction | None]]:
    """The shown indicators (ordered as INDICATORS[kind]) and the exact rates behind them."""
    rates = RATES[kind](counts)
    values: dict[str, Any] = {}
    for indicator in INDICATORS[kind]:
        if indicator.kind == "rate":
            values[indicator.key] = percent(rates[indicator.key])
        elif indicator.kind == "hours":
            values[indicator.key] = round_two(mean_hours)
        elif indicator.key == "satisfaction_mean":
            values[indicator.key] = round_two(ratio(counts["satisfaction_sum"], counts["rated"]))
        else:
            values[indicator.key] = int(counts[indicator.key])
    return values, rates


# ---------------------------------------------------------------------------------------- scores


def _fraction(value: Decimal | int) -> Fraction:
    return Fraction(str(value))


def _component(rate: Fraction | None, full: Decimal, target: Decimal, deduction: Decimal) -> Fraction:
    """Full points at or above the target rate; `deduction` points off per percentage point below; never
    below zero. No cases of the kind (rate None) is no shortfall."""
    full_f = _fraction(full)
    if rate is None:
        return full_f
    shortfall = max(Fraction(0), _fraction(target) - rate * HUNDRED)
    return max(Fraction(0), full_f - shortfall * _fraction(deduction))


def case_score(
    scheme: ScoringScheme, *, on_time: Fraction | None, close: Fraction | None, urgent: Fraction | None,
    reworks: int, repeat_reworked: int,
) -> Decimal | None:  # fmt: skip
    """The composite score of a region or unit (金华 scheme by default). None when nothing was due."""
    if on_time is None or close is None:
        return None
    total = (
        _component(on_time, scheme.on_time_points, scheme.on_time_target, scheme.on_time_deduction)
        + _component(close, scheme.close_points, scheme.close_target, scheme.close_deduction)
        + _component(urgent, scheme.urgent_points, scheme.urgent_target, scheme.urgent_deduction)
        - _fraction(scheme.rework_penalty) * reworks
        - _fraction(scheme.repeat_rework_penalty) * repeat_reworked
    )
    return round_two(max(Fraction(0), total))


def weighted_score(parts: list[tuple[Decimal, Fraction | None]]) -> Decimal | None:
    """Σ weight × rate over the rates that exist, scaled to 0–100. None if no rate exists."""
    present = [(_fraction(w), r) for w, r in parts if r is not None and w > 0]
    weights = sum((w for w, _ in present), Fraction(0))
    if not weights:
        return None
    return round_two(sum((w * r for w, r in present), Fraction(0)) / weights * HUNDRED)


def score_for(kind: str, scheme: ScoringScheme, counts: Counter, rates: dict[str, Fraction | None]):
    if kind == "region":
        return case_score(
            scheme,
            on_time=rates["on_time_close_rate"],
            close=rates["close_rate"],
            urgent=rates["urgent_on_time_close_rate"],
            reworks=counts["reworks"],
            repeat_reworked=counts["repeat_reworked"],
        )
    if kind == "department":
        return case_score(
            scheme,
            on_time=rates["on_time_handle_rate"],
            close=rates["handle_rate"],
            urgent=rates["urgent_on_time_handle_rate"],
            reworks=counts["reworks"],
            repeat_reworked=counts["repeat_reworked"],
        )
    if kind == "supervisor":
        return weighted_score(
            [
                (scheme.supervisor_valid_weight, rates["valid_report_rate"]),
                (scheme.supervisor_verify_weight, rates["verify_on_time_rate"]),
                (scheme.supervisor_check_weight, rates["check_on_time_rate"]),
            ]
        )
    if kind == "receiver":
        return weighted_score([(scheme.receiver_on_time_weight, rates["on_time_rate"])])
    return weighted_score(
        [
            (scheme.dispatcher_accuracy_weight, rates["accuracy"]),
            (scheme.dispatcher_on_time_weight, rates["on_time_rate"]),
        ]
    )


def max_points(kind: str, scheme: ScoringScheme) -> Decimal:
    return scheme.max_points if kind in {"region", "department"} else Decimal(100)


def grade_for(score: Decimal | None, full: Decimal, scheme: ScoringScheme) -> str | None:
    if score is None or full <= 0:
        return None
    share = score / full * 100
    if share >= scheme.green_min_percent:
        return "green"
    if share >= scheme.yellow_min_percent:
        return "yellow"
    return "red"


def ranks(scores: dict[str, Decimal | None]) -> dict[str, int | None]:
    """Standard competition ranking (1, 2, 2, 4) by score, highest first; no score, no rank."""
    ordered = sorted((s for s in scores.values() if s is not None), reverse=True)
    first = {}
    for position, score in enumerate(ordered, start=1):
        first.setdefault(score, position)
    return {key: (None if score is None else first[score]) for key, score in scores.items()}
