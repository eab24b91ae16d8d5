"""The catalogue of violations (案由目录) loaded by migration 0002: legal bases, discretion benchmarks, the
中发〔2015〕37号 (七) scope, idempotent re-loading and the refusal to store an unquoted "verified" basis."""

from __future__ import annotations

import copy
import re

import pytest

from qingcheng.cases.catalogue_data import SUBCLASSES
from qingcheng.enforcement.catalogue import catalogue_rows, check_catalogue, load_catalogue
from qingcheng.enforcement.models import DiscretionLevel, LegalBasis, Violation

pytestmark = pytest.mark.django_db

# 中发〔2015〕37号 (七): each item of the scope of comprehensive urban-management enforcement, with a word the
# name of at least one catalogued violation must contain.
SCOPE_37 = [
    ("住房城乡建设领域", "建设工程规划许可证"),
    ("社会生活噪声污染", "高音广播喇叭"),
    ("建筑施工噪声污染", "施工噪声"),
    ("建筑施工扬尘污染", "防尘降尘"),
    ("餐饮服务业油烟污染", "油烟"),
    ("露天烧烤污染", "露天烧烤"),
    ("城市焚烧沥青塑料垃圾等烟尘和恶臭污染", "焚烧沥青"),
    ("露天焚烧秸秆落叶等烟尘污染", "秸秆"),
    ("燃放烟花爆竹污染", "烟花爆竹"),
    ("户外公共场所无照经营", "无照经营"),
    ("违规设置户外广告", "户外广告"),
    ("侵占城市道路", "占用或者挖掘城市道路"),
    ("违法停放车辆", "停放机动车"),
    ("向城市河道倾倒废弃物和垃圾", "河道倾倒"),
    ("违规取土", "取土"),
    ("城市河道违法建筑物拆除", "河道管理范围内建设"),
    ("户外公共场所食品销售和餐饮摊点无证经营", "餐饮摊点无证经营"),
    ("违法回收贩卖药品", "药品"),
]

CN_ARTICLE = re.compile(r"^(第[零一二三四五六七八九十百千]+条)")


def catalogue() -> list[Violation]:
    return list(
        Violation.objects.filter(code__in=[row["code"] for row in catalogue_rows()["violations"]])
        .prefetch_related("violated", "penalised_by", "discretion_levels")
        .order_by("code")
    )


def test_migration_loaded_the_whole_catalogue():
    data = catalogue_rows()
    violations = catalogue()
    assert len(violations) == len(data["violations"]) >= 20
    assert LegalBasis.objects.count() >= len(data["bases"])
    assert DiscretionLevel.objects.filter(violation__in=violations).count() == sum(
        len(row["discretion"]) for row in data["violations"]
    )


def test_every_violation_has_a_violated_and_a_penalty_provision():
    for violation in catalogue():
        assert violation.violated.exists(), violation.code
        assert violation.penalised_by.exists(), violation.code


def test_verified_bases_quote_the_article_they_name():
    verified = LegalBasis.objects.filter(verified=True)
    assert verified.count() >= 60
    for basis in verified:
        assert len(basis.text.strip()) >= 10, basis
        assert basis.source.startswith(("LawRefBook/Laws ", "waystowork/")), basis
        assert "@" in basis.source, basis
        # A quote of the first paragraph (or of its items) starts with the article it claims to be.
        article = CN_ARTICLE.match(basis.article).group(1)
        if not re.search(r"第[二三四五六七八九十]款", basis.article):
            assert basis.text.startswith(article), basis


def test_unverified_bases_carry_no_article_number_and_say_why():
    unverified = LegalBasis.objects.filter(verified=False, violations_penalising__isnull=False).distinct()
    assert unverified.count() >= 1
    for basis in unverified:
        assert "待核实" in basis.article, basis
        assert not CN_ARTICLE.match(basis.article), basis
        assert basis.text == ""
        assert "未找到" in basis.source, basis


def test_no_violation_claims_verified_with_an_unverified_basis():
    seen = {True: 0, False: 0}
    for violation in catalogue():
        bases = list(violation.violated.all()) + list(violation.penalised_by.all())
        expected = all(b.verified for b in bases)
        assert violation.basis_verified is expected, violation.code
        seen[expected] += 1
    assert seen[True] >= 20 and seen[False] >= 1
    assert Violation.objects.get(code="GH-01").basis_verified is True
    # 《广告法》第四十一条 leaves outdoor advertising to local law, which was not found.
    assert Violation.objects.get(code="SR-02").basis_verified is False


def test_discretion_rows_are_ordered_ranges():
    for violation in catalogue():
        levels = list(violation.discretion_levels.all())
        assert 2 <= len(levels) <= 4, violation.code
        assert len({lv.order for lv in levels}) == len(levels)
        for level in levels:
            assert level.fine_min_fen <= level.fine_max_fen, (violation.code, level.order)
            assert level.circumstances.strip()
            assert level.source.strip()
            if not level.verified:
                assert "未找到呼和浩特市" in level.source or "非地方裁量基准" in level.source, level.source


@pytest.mark.parametrize(
    ("code", "phrase", "low_yuan", "high_yuan"),
    [
        ("HB-05", "五百元以上二万元以下", 500, 20_000),  # 大气污染防治法 第一百一十八条第三款
        ("HB-01", "一万元以上十万元以下", 10_000, 100_000),  # 第一百一十五条
        ("HB-07", "五百元以上二千元以下", 500, 2_000),  # 第一百一十九条第一款
        ("DL-02", "二十元以上二百元以下", 20, 200),  # 道路交通安全法 第九十三条
        ("SR-08", "二千元以上二万元以下", 2_000, 20_000),  # 第一百一十六条
        ("HB-08", "100元以上500元以下", 100, 500),  # 烟花爆竹安全管理条例 第四十二条第二款
    ],
)
def test_discretion_ranges_stay_inside_the_quoted_provision(code, phrase, low_yuan, high_yuan):
    violation = Violation.objects.get(code=code)
    assert any(phrase in b.text for b in violation.penalised_by.all())
    fined = [lv for lv in violation.discretion_levels.all() if lv.fine_max_fen]
    assert min(lv.fine_min_fen for lv in fined) == low_yuan * 100
    assert max(lv.fine_max_fen for lv in fined) == high_yuan * 100


def test_split_ranges_for_individuals_and_organisations():
    # 大气污染防治法 第一百一十九条第二款: 单位 1万–10万元, 个人 500–2000元.
    rows = list(Violation.objects.get(code="HB-06").discretion_levels.all())
    person = [r for r in rows if "个人" in r.circumstances]
    organisation = [r for r in rows if "单位" in r.circumstances]
    assert (min(r.fine_min_fen for r in person), max(r.fine_max_fen for r in person)) == (50_000, 200_000)
    assert (min(r.fine_min_fen for r in organisation), max(r.fine_max_fen for r in organisation)) == (
        1_000_000,
        10_000_000,
    )


def test_illegal_construction_follows_the_published_guidance_in_percent_of_cost():
    levels = list(Violation.objects.get(code="GH-01").discretion_levels.order_by("order"))
    assert [lv.level for lv in levels] == ["none", "ordinary", "serious", "severe"]
    # National guidance, not a published Hohhot benchmark: shown as not verified as a local standard.
    assert not any(lv.verified for lv in levels) and all("指导意见" in lv.source for lv in levels)
    assert all(lv.fine_min_fen == lv.fine_max_fen == 0 for lv in levels)
    assert levels[1].fine_unit == "×建设工程造价" and "5%" in levels[1].other_penalties
    assert "10%" in levels[2].other_penalties
    assert "城乡规划行政处罚裁量权" in levels[1].source


def test_case_category_codes_exist_in_the_case_catalogue():
    known = {code for code, *_ in SUBCLASSES}
    mapped = [v for v in catalogue() if v.case_category_code]
    assert len(mapped) >= 15
    for violation in mapped:
        assert violation.case_category_code in known, violation.code
    assert Violation.objects.get(code="HB-05").case_category_code == "E0510"  # 露天烧烤


def test_every_item_of_the_37_scope_list_has_a_violation():
    assert [item for item, _ in SCOPE_37] == catalogue_rows()["scope_list"]
    for item, word in SCOPE_37:
        assert Violation.objects.filter(name__contains=word, active=True).exists(), item
    covered = {item for row in catalogue_rows()["violations"] for item in row["scope"]}
    assert covered == {item for item, _ in SCOPE_37}


def test_parking_says_it_is_normally_police_work():
    assert "公安机关交通管理部门" in Violation.objects.get(code="DL-02").description


def test_loading_again_changes_nothing():
    before = (LegalBasis.objects.count(), Violation.objects.count(), DiscretionLevel.objects.count())
    counts = load_catalogue(LegalBasis, Violation, DiscretionLevel)
    after = (LegalBasis.objects.count(), Violation.objects.count(), DiscretionLevel.objects.count())
    assert after == before
    assert {k: v for k, v in counts.items() if v and not k.endswith("_unchanged")} == {}
    data = catalogue_rows()
    assert counts["bases_unchanged"] == len(data["bases"])
    assert counts["violations_unchanged"] == len(data["violations"])


def test_loading_repairs_an_edited_row_and_keeps_a_switched_off_violation_off():
    basis = LegalBasis.objects.get(verified=True, article="第一百一十八条第三款")
    quote = basis.text
    LegalBasis.objects.filter(pk=basis.pk).update(text="被改动的文本", verified=False)
    Violation.objects.filter(code="HB-05").update(active=False)
    Violation.objects.get(code="HB-05").penalised_by.clear()

    counts = load_catalogue(LegalBasis, Violation, DiscretionLevel)

    basis.refresh_from_db()
    assert (basis.text, basis.verified) == (quote, True)
    assert counts["bases_updated"] == 1 and counts["links_updated"] == 1
    violation = Violation.objects.get(code="HB-05")
    assert violation.active is False
    assert list(violation.penalised_by.all()) == [basis]


def test_the_loader_refuses_data_that_would_mislead():
    data = catalogue_rows()
    domains = {value for value, _ in Violation.Domain.choices}
    levels = {value for value, _ in DiscretionLevel.Level.choices}
    check_catalogue(data, domains=domains, levels=levels)

    no_quote = copy.deepcopy(data)
    next(b for b in no_quote["bases"] if b["verified"])["text"] = ""
    with pytest.raises(ValueError, match="no quoted text"):
        check_catalogue(no_quote, domains=domains, levels=levels)

    no_penalty = copy.deepcopy(data)
    no_penalty["violations"][0]["penalised_by"] = []
    with pytest.raises(ValueError, match="no penalised_by basis"):
        check_catalogue(no_penalty, domains=domains, levels=levels)

    inverted = copy.deepcopy(data)
    row = next(lv for v in inverted["violations"] for lv in v["discretion"] if lv["fine_max_fen"])
    row["fine_min_fen"] = row["fine_max_fen"] + 1
    with pytest.raises(ValueError, match="min above max"):
        check_catalogue(inverted, domains=domains, levels=levels)

    with pytest.raises(ValueError, match="no quoted text"):
        load_catalogue(LegalBasis, Violation, DiscretionLevel, data=no_quote)
