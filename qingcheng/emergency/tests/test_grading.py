"""R-index grading of major hazard sources: R = α·Σ β·q/Q, 一级 R ≥ 100 … 四级 R < 10.

The reference states the formula, the β and α tables and the grade bounds but gives no numbers for a
concrete plant, so the worked examples below are computed by hand from those tables (Q values are
illustrative critical quantities)."""

from decimal import Decimal

import pytest

from qingcheng.emergency.grading import Substance, alpha_for, beta_for, grade, grade_for_r


def sub(category, q, Q, gas=""):
    return Substance(category, Decimal(str(q)), Decimal(str(Q)), gas)


WORKED = [
    # (description, substances, people within 500 m, R, grade, colour)
    (
        "液氯储罐 Cl₂ 50 t / Q 5 t, 120 people: 2.0 × 4 × 10",
        [sub("toxic_gas", 50, 5, "cl2")],
        120,
        "80",
        2,
        "orange",
    ),
    (
        "液化气站 LPG 60 t / Q 50 t, 20 people: 1.0 × 1.5 × 1.2",
        [sub("flammable_gas", 60, 50)],
        20,
        "1.8",
        4,
        "blue",
    ),
    (
        "冷库液氨 NH₃ 40 t / Q 10 t, 60 people: 1.5 × 2 × 4",
        [sub("toxic_gas", 40, 10, "nh3")],
        60,
        "12",
        3,
        "yellow",
    ),
    (
        "氯碱厂 Cl₂ 100/5 and H₂S 10/5, 300 people: 2.0 × (4×20 + 5×2)",
        [sub("toxic_gas", 100, 5, "cl2"), sub("toxic_gas", 10, 5, "h2s")],
        300,
        "180",
        1,
        "red",
    ),
    (
        "光气 phosgene 0.9 t / Q 0.3 t, nobody around: 0.5 × 20 × 3",
        [sub("toxic_gas", "0.9", "0.3", "phosgene")],
        0,
        "30",
        3,
        "yellow",
    ),
    ("炸药 explosive 5 t / Q 1 t, 35 people: 1.2 × 2 × 5", [sub("explosive", 5, 1)], 35, "12", 3, "yellow"),
    (
        "剧毒 highly toxic 12.5 t / Q 1 t, 100 people: 2.0 × 4 × 12.5",
        [sub("highly_toxic", "12.5", 1)],
        100,
        "100",
        1,
        "red",
    ),
    (
        "boundary 二级: other 50 t / Q 1 t, 10 people: 1.0 × 1 × 50",
        [sub("other", 50, 1)],
        10,
        "50",
        2,
        "orange",
    ),
    ("boundary 三级: other 10 t / Q 1 t, 10 people", [sub("other", 10, 1)], 10, "10", 3, "yellow"),
]


@pytest.mark.parametrize(
    ("label", "substances", "people", "r", "level", "colour"), WORKED, ids=[w[0][:12] for w in WORKED]
)
def test_worked_examples(label, substances, people, r, level, colour):
    result = grade(substances, people)
    assert result.r_value == Decimal(r), label
    assert result.grade == level
    assert result.risk_colour == colour
    assert result.is_major


def test_below_identification_threshold_is_not_graded():
    result = grade([sub("toxic_gas", 2, 5, "cl2")], 500)  # S = 0.4 < 1
    assert not result.is_major
    assert result.grade is None
    assert result.s_value == Decimal("0.4")
    assert result.r_value == Decimal("3.2")


@pytest.mark.parametrize(
    ("people", "alpha"),
    [(0, "0.5"), (1, "1.0"), (29, "1.0"), (30, "1.2"), (49, "1.2"), (50, "1.5"), (99, "1.5"), (100, "2.0")],
)
def test_alpha_bands(people, alpha):
    assert alpha_for(people) == Decimal(alpha)


def test_beta_table_and_categories():
    assert beta_for("toxic_gas", "MIC") == 20
    assert beta_for("toxic_gas", "hcl") == 3
    assert beta_for("toxic_gas") == 2
    assert beta_for("highly_toxic") == 4
    assert beta_for("flammable_gas") == Decimal("1.5")
    with pytest.raises(ValueError):
        beta_for("toxic_gas", "unobtainium")
    with pytest.raises(ValueError):
        beta_for("plasma")


@pytest.mark.parametrize(("r", "level"), [("99.9999", 2), ("100", 1), ("49.99", 3), ("9.99", 4), ("0", 4)])
def test_grade_bounds(r, level):
    assert grade_for_r(Decimal(r)) == level


@pytest.mark.django_db
def test_register_grades_and_regrades(em):
    from qingcheng.core.errors import ValidationFailed
    from qingcheng.emergency.services import hazard_source_register, hazard_source_regrade

    source = hazard_source_register(
        actor=em["admin"],
        code="WX-T1",
        name="测试液氯库",
        owner_name="测试化工有限公司",
        area_code="150105",
        lon=111.7,
        lat=40.8,
        people_exposed=120,
        substances=[
            {"name": "液氯", "category": "toxic_gas", "gas_key": "cl2", "quantity_t": "50", "critical_t": "5"}
        ],
    )
    assert (source.grade, source.risk_colour, source.r_value) == (2, "orange", Decimal("80"))
    assert source.substances.get().beta == 4
    source = hazard_source_regrade(
        actor=em["admin"],
        source=source,
        people_exposed=120,
        substances=[
            {"name": "液氯", "category": "toxic_gas", "gas_key": "cl2", "quantity_t": "70", "critical_t": "5"}
        ],
    )
    assert (source.grade, source.risk_colour, source.r_value) == (1, "red", Decimal("112"))
    with pytest.raises(ValidationFailed):
        hazard_source_regrade(
            actor=em["admin"],
            source=source,
            substances=[{"name": "x", "category": "toxic_gas", "quantity_t": 1, "critical_t": 0}],
        )
    source.refresh_from_db()
    assert source.grade == 1 and source.substances.count() == 1  # nothing half-written
