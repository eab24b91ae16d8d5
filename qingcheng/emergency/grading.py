"""Grading rules as pure functions: the R index of a major hazard source, its grade and risk colour,
warning colours, and the drill interval of a plan.

R = α · Σ βᵢ · qᵢ / Qᵢ (危险化学品重大危险源监督管理暂行规定, Annex 1; carried into GB 18218-2018).
A unit is a major hazard source when S = Σ qᵢ / Qᵢ ≥ 1. Grades: 一级 R ≥ 100; 二级 50 ≤ R < 100;
三级 10 ≤ R < 50; 四级 R < 10.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# β of named toxic gases (correction factor table).
TOXIC_GAS_BETA: dict[str, Decimal] = {
    "co": Decimal("2"),
    "so2": Decimal("2"),
    "nh3": Decimal("2"),
    "ethylene_oxide": Decimal("2"),
    "hcl": Decimal("3"),
    "methyl_bromide": Decimal("3"),
    "cl2": Decimal("4"),
    "h2s": Decimal("5"),
    "hf": Decimal("5"),
    "no2": Decimal("10"),
    "hcn": Decimal("10"),
    "phosgene": Decimal("20"),
    "ph3": Decimal("20"),
    "mic": Decimal("20"),
}
CATEGORY_BETA: dict[str, Decimal] = {
    "toxic_gas": Decimal("2"),  # other toxic gases
    "highly_toxic": Decimal("4"),
    "explosive": Decimal("2"),
    "flammable_gas": Decimal("1.5"),
    "other": Decimal("1"),
}
QUANT = Decimal("0.0001")


@dataclass(frozen=True)
class Substance:
    category: str
    quantity_t: Decimal
    critical_t: Decimal
    gas_key: str = ""


@dataclass(frozen=True)
class Grading:
    s_value: Decimal
    r_value: Decimal
    alpha: Decimal
    is_major: bool
    grade: int | None
    risk_colour: str


def beta_for(category: str, gas_key: str = "") -> Decimal:
    """β of a substance: the named toxic gas if given, otherwise its category."""
    if category not in CATEGORY_BETA:
        raise ValueError(f"unknown substance category {category!r}")
    key = (gas_key or "").strip().lower()
    if category == "toxic_gas" and key:
        if key not in TOXIC_GAS_BETA:
            raise ValueError(f"unknown toxic gas {gas_key!r}")
        return TOXIC_GAS_BETA[key]
    return CATEGORY_BETA[category]


def alpha_for(people_exposed: int) -> Decimal:
    """α from the number of people within 500 m of the boundary."""
    if people_exposed < 0:
        raise ValueError("people_exposed must not be negative")
    if people_exposed >= 100:
        return Decimal("2.0")
    if people_exposed >= 50:
        return Decimal("1.5")
    if people_exposed >= 30:
        return Decimal("1.2")
    if people_exposed >= 1:
        return Decimal("1.0")
    return Decimal("0.5")


def grade_for_r(r_value: Decimal) -> int:
    if r_value >= 100:
        return 1
    if r_value >= 50:
        return 2
    if r_value >= 10:
        return 3
    return 4


GRADE_COLOUR = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}
WARNING_COLOUR = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


def grade(substances: Iterable[Substance], people_exposed: int) -> Grading:
    """S, R, grade and colour of a unit. A unit with S < 1 is not a major hazard source: no grade, and its
    colour is blue (低风险)."""
    s_total = Decimal(0)
    weighted = Decimal(0)
    for sub in substances:
        if sub.critical_t <= 0:
            raise ValueError("critical quantity must be positive")
        if sub.quantity_t < 0:
            raise ValueError("quantity must not be negative")
        ratio = Decimal(sub.quantity_t) / Decimal(sub.critical_t)
        s_total += ratio
        weighted += beta_for(sub.category, sub.gas_key) * ratio
    alpha = alpha_for(people_exposed)
    r_value = (alpha * weighted).quantize(QUANT, rounding=ROUND_HALF_UP)
    s_value = s_total.quantize(QUANT, rounding=ROUND_HALF_UP)
    is_major = s_total >= 1
    level = grade_for_r(alpha * weighted) if is_major else None
    return Grading(
        s_value=s_value,
        r_value=r_value,
        alpha=alpha,
        is_major=is_major,
        grade=level,
        risk_colour=GRADE_COLOUR[level] if level else "blue",
    )


# Drill intervals (生产安全事故应急条例 Art. 8): governments and departments at least every 2 years,
# high-risk units at least every 6 months. Other units: every year (our default, adjustable per plan).
DRILL_INTERVAL_MONTHS = {"government": 24, "high_risk": 6, "other": 12}
