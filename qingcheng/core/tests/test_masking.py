import datetime as dt
import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingcheng.core.masking import (
    PersonalDataLogFilter,
    mask_address,
    mask_id_number,
    mask_name,
    mask_personal_data,
    mask_personal_text,
    mask_phone,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def test_examples_from_the_issue():
    assert mask_name("张三") == "张*"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("150102199001011234") == "1501**********1234"


def test_names():
    assert mask_name("王小明") == "王**"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name("张") == "张*"
    assert mask_name("") == ""
    assert mask_name("John Smith") == "J***"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_phone_masking_never_leaks_the_middle_digits(phone):
    masked = mask_phone(phone)
    assert len(masked) == 11
    assert masked[3:7] == "****"
    assert masked[:3] == phone[:3] and masked[7:] == phone[7:]


def test_phone_fields_in_other_writings():
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("１３８１２３４５６７８") == "138****5678"
    assert mask_phone("0471-6012345") == "0471*****45"
    assert mask_phone("010-62345678") == "010******78"
    assert mask_id_number("150105 19900101 1234") == "1501**********1234"


@given(st.from_regex(r"[1-6][0-9]{16}[0-9X]", fullmatch=True))
def test_id_masking_never_leaks_the_middle_characters(id_number):
    masked = mask_id_number(id_number)
    assert masked[4:14] == "*" * 10
    assert masked[:4] == id_number[:4] and masked[-4:] == id_number[-4:]
    # Birth date (positions 7–14) never survives.
    assert id_number[6:14] not in masked


@given(st.text(max_size=6))
def test_short_or_odd_values_are_masked_whole(value):
    if len(value.strip()) not in (15, 18):
        assert set(mask_id_number(value)) <= {"*"}


# ------------------------------------------------------------------------------ free text: every form

# Each form the external test found unmasked, and the others people write, with the expected output.
FORMS = [
    # mobiles
    ("电话13812345678。", "电话138****5678。"),
    ("138-1234-5678", "138-****-5678"),
    ("138 1234 5678", "138 **** 5678"),
    ("138.1234.5678", "138.****.5678"),
    ("138 - 1234 - 5678", "138 - **** - 5678"),
    ("+86 13812345678", "+86 138****5678"),
    ("+86-138-1234-5678", "+86-138-****-5678"),
    ("+8613812345678", "+86138****5678"),
    ("0086 138 1234 5678", "0086 138 **** 5678"),
    ("(+86)13812345678", "(+86)138****5678"),
    ("（+86）138 1234 5678", "（+86）138 **** 5678"),
    ("8613812345678", "86138****5678"),
    ("１３８１２３４５６７８", "１３８****５６７８"),
    ("１３８－１２３４－５６７８", "１３８－****－５６７８"),
    ("（＋８６）１３８１２３４５６７８", "（＋８６）１３８****５６７８"),
    ("13８1234５678", "13８****５678"),
    ("联系人张先生13912345678或15012345678", "联系人张先生139****5678或150****5678"),
    # landlines
    ("0471-6012345", "0471-*****45"),
    ("0471 6012345", "0471 *****45"),
    ("(0471)6012345", "(0471)*****45"),
    ("（0471）6012345", "（0471）*****45"),
    ("04716012345", "0471*****45"),
    ("0471-6012345转801", "0471-*****45转801"),
    ("0471-6012345-801", "0471-*****45-801"),
    ("010-62345678", "010-******78"),
    ("02162345678", "021******78"),
    ("０４７１－６０１２３４５", "０４７１－*****４５"),
    # resident ID numbers
    ("150105199001011234", "1501**********1234"),
    ("15010519900101123X", "1501**********123X"),
    ("15010519900101123x", "1501**********123x"),
    ("150105 19900101 1234", "1501** ******** 1234"),
    ("150105-19900101-1234", "1501**-********-1234"),
    ("身份证:150105199001011234", "身份证:1501**********1234"),
    ("身份证号码：150105199001011234。", "身份证号码：1501**********1234。"),
    ("ID150105199001011234", "ID1501**********1234"),
    ("ID: 150105199001011234", "ID: 1501**********1234"),
    ("１５０１０５１９９００１０１１２３４", "１５０１**********１２３４"),
    ("１５０１０５１９９００１０１１２３Ｘ", "１５０１**********１２３Ｘ"),
    ("150105900101123", "1501*******1123"),
    ("旧身份证 150105 900101 123", "旧身份证 1501** *****1 123"),
    ("身份证号150105001001001", "身份证号1501*******1001"),
    # e-mail
    ("邮箱 zhangsan@example.com 联系", "邮箱 z*******@example.com 联系"),
    ("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ｚ****＠ｅｘａｍｐｌｅ．ｃｏｍ"),
    # left alone next to personal data
    ("案卷20261126000123，电话13812345678", "案卷20261126000123，电话138****5678"),
    ("150105001001001 138 1234 5678", "150105001001001 138 **** 5678"),
]

# Numbers that are not personal and must come out exactly as they went in.
KEPT = [
    "案卷20261126000123",
    "20261126000123",
    "网格150105001001001",
    "150105001001001",
    "150121201001001",
    "部件1501050010010001",
    "1501050010010001",
    "坐标 111.70 40.80",
    "111.703456,40.801234",
    "131.12345678 45.5",
    "113.812345 41.1234",
    "2026-11-26",
    "2026年11月26日 14:05",
    "2026-11-26T14:05:00+08:00",
    "罚款 1,380.50 元",
    "罚款 13800 元，没收 2000.00 元",
    "第3次，共12处，面积45.5平方米",
    "E0201",
]


@pytest.mark.parametrize(("text", "expected"), FORMS)
def test_every_written_form_is_masked(text, expected):
    assert mask_personal_text(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_codes_dates_amounts_and_coordinates_are_kept(text):
    assert mask_personal_text(text) == text


def test_nested_values_and_empty_text():
    assert mask_personal_text("") == ""
    assert mask_personal_text(None) == ""
    assert mask_personal_data({"note": "电话13812345678", "n": 3, "list": ["0471-6012345"]}) == {
        "note": "电话138****5678",
        "n": 3,
        "list": ["0471-*****45"],
    }


# ------------------------------------------------------------------------------ free text: properties

FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789+-()X"}
HALF_WIDTH = {v: k for k, v in FULL_WIDTH.items()} | {"（": "(", "）": ")", "－": "-"}
# Random text around a number: no digits (so every digit in the output comes from the number) and no
# letters that spell the words which mark a 15-digit number as a code (网格, grid, code).
FILLER = st.text(alphabet="的了问题垃圾路口占道经营请处理 ,。！：;abfhkmnpqrstuvwyz", max_size=12)
SEPARATORS = st.sampled_from(["", " ", "-", ".", " - "])


def _width(text: str, choice: list[bool]) -> str:
    """Some characters full width: `choice` says which (cycled), so mixed writings come up too."""
    return "".join(FULL_WIDTH.get(c, c) if choice[i % len(choice)] else c for i, c in enumerate(text))


def _half(text: str) -> str:
    return "".join(HALF_WIDTH.get(c, c) for c in text)


def _digit_runs(text: str) -> list[str]:
    """Digits of the half-width text with number separators removed: runs broken only by `*` or words."""
    compact = re.sub(r"[ \-.()+]", "", _half(text))
    return re.findall(r"[0-9Xx]+", compact)


def _assert_no_seven(original_digits: str, masked: str) -> None:
    for run in _digit_runs(masked):
        for i in range(len(original_digits) - 6):
            assert original_digits[i : i + 7] not in run, (original_digits, masked)


def _assert_only_masked(before: str, after: str, text: str, masked: str) -> None:
    """The words around the number are untouched and nothing changed but to `*`."""
    assert len(masked) == len(text)
    assert masked.startswith(before) and masked.endswith(after)
    assert all(m == t or m == "*" for m, t in zip(masked, text, strict=True))


widths = st.lists(st.booleans(), min_size=1, max_size=5)


@given(
    before=FILLER,
    after=FILLER,
    mobile=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    prefix=st.sampled_from(["", "+86 ", "+86-", "+86", "0086 ", "0086", "(+86)", "（+86）", "86"]),
    sep=SEPARATORS,
    width=widths,
)
def test_mobiles_in_any_writing_lose_their_middle(before, after, mobile, prefix, sep, width):
    number = _width(prefix + sep.join([mobile[:3], mobile[3:7], mobile[7:]]), width)
    text = f"{before}{number}{after}"
    masked = mask_personal_text(text)
    _assert_only_masked(before, after, text, masked)
    _assert_no_seven(mobile, masked)
    country = "".join(c for c in _half(prefix) if c.isdigit())
    assert _digit_runs(masked) == [country + mobile[:3], mobile[7:]]


@given(
    before=FILLER,
    after=FILLER,
    area_local=st.one_of(
        # Three-digit area codes have 8-digit numbers; four-digit ones 7 or 8.
        st.tuples(st.sampled_from(["010", "021", "022"]), st.from_regex(r"[2-8][0-9]{7}", fullmatch=True)),
        st.tuples(
            st.sampled_from(["0471", "0472", "0755", "0991"]),
            st.from_regex(r"[2-8][0-9]{6,7}", fullmatch=True),
        ),
    ),
    form=st.sampled_from(
        ["{a}-{l}", "{a} {l}", "({a}){l}", "（{a}）{l}", "{a}{l}", "{a}-{l}转{e}", "{a}-{l}-{e}"]
    ),
    extension=st.from_regex(r"[0-9]{1,4}", fullmatch=True),
    width=widths,
)
def test_landlines_keep_only_the_area_code_and_two_digits(before, after, area_local, form, extension, width):
    area, local = area_local
    number = _width(form.format(a=area, l=local, e=extension), width)
    text = f"{before}{number}{after}"
    masked = mask_personal_text(text)
    _assert_only_masked(before, after, text, masked)
    _assert_no_seven(area + local, masked)
    kept = area + local[-2:] + (extension if "{e}" in form else "")
    assert "".join(_digit_runs(masked)) == kept


def _id_18(area: str, born: dt.date, sequence: str, check: str) -> str:
    return f"{area}{born:%Y%m%d}{sequence}{check}"


@given(
    before=FILLER,
    after=FILLER,
    area=st.from_regex(r"[1-6][0-9]{5}", fullmatch=True),
    born=st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 31)),
    sequence=st.from_regex(r"[0-9]{3}", fullmatch=True),
    check=st.sampled_from([*"0123456789", "X", "x"]),
    sep=SEPARATORS,
    prefix=st.sampled_from(["", "身份证:", "身份证号码：", "ID", "ID: ", "证件号 "]),
    width=widths,
)
def test_id_numbers_in_any_writing_lose_their_birth_date(
    before, after, area, born, sequence, check, sep, prefix, width
):
    id_number = _id_18(area, born, sequence, check)
    grouped = sep.join([id_number[:6], id_number[6:14], id_number[14:]])
    text = f"{before}{prefix}{_width(grouped, width)}{after}"
    masked = mask_personal_text(text)
    _assert_only_masked(before, after, text, masked)
    _assert_no_seven(id_number.upper(), masked.upper())
    assert f"{born:%Y%m%d}" not in "".join(_digit_runs(masked))


@given(
    before=FILLER,
    after=FILLER,
    area=st.from_regex(r"[1-6][0-9]{5}", fullmatch=True),
    born=st.dates(dt.date(1930, 1, 1), dt.date(1999, 12, 31)),
    any_born=st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)),
    sequence=st.from_regex(r"[0-9]{3}", fullmatch=True),
    sep=st.sampled_from(["", " ", "-"]),
    width=widths,
)
def test_first_generation_id_numbers_are_masked(before, after, area, born, any_born, sequence, sep, width):
    bare = f"{area}{born:%y%m%d}{sequence}"
    text = f"{before}{_width(sep.join([bare[:6], bare[6:12], bare[12:]]), width)}{after}"
    masked = mask_personal_text(text)
    _assert_only_masked(before, after, text, masked)
    _assert_no_seven(bare, masked)
    # With an ID word in front, any birth year.
    cued = f"{area}{any_born:%y%m%d}{sequence}"
    text = f"{before}身份证号 {cued}{after}"
    masked = mask_personal_text(text)
    _assert_no_seven(cued, masked)


@given(
    before=FILLER,
    after=FILLER,
    local=st.from_regex(r"[a-z][a-z0-9._]{2,15}", fullmatch=True),
    domain=st.sampled_from(["example.com", "mail.example.cn", "qq.com", "163.com"]),
)
def test_email_addresses_keep_only_their_first_letter(before, after, local, domain):
    text = f"{before} {local}@{domain} {after}"
    masked = mask_personal_text(text)
    assert masked == f"{before} {local[0]}{'*' * (len(local) - 1)}@{domain} {after}"


# Non-personal numbers: 14-digit case numbers, 15-digit grid codes (street 001–299, community 001–399),
# 16-digit component codes, coordinates, dates and amounts, anywhere in text with phones around them.
case_numbers = st.builds(
    lambda day, n: f"{day:%Y%m%d}{n:06d}",
    st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    st.integers(1, 999_999),
)
grid_codes = st.builds(
    lambda district, street, community, grid: f"{district}{street:03d}{community:03d}{grid:03d}",
    st.sampled_from(["150102", "150103", "150104", "150105", "150121", "150122", "150125"]),
    st.integers(1, 299),
    st.integers(1, 399),
    st.integers(1, 999),
)
component_codes = st.from_regex(r"15010[1-5][0-9]{10}", fullmatch=True)
coordinates = st.builds(
    lambda lon, lat, places, joint: f"{lon:.{places}f}{joint}{lat:.{places}f}",
    st.floats(97.0, 126.0),
    st.floats(37.0, 53.0),
    st.integers(1, 8),
    st.sampled_from([" ", ",", ", "]),
)
dates = st.dates(dt.date(1950, 1, 1), dt.date(2050, 12, 31)).flatmap(
    lambda d: st.sampled_from([f"{d:%Y-%m-%d}", f"{d:%Y年%m月%d日}", f"{d:%Y.%m.%d}", f"{d:%Y%m%d}"])
)
amounts = st.builds(
    lambda yuan, fen, style: style.format(yuan=yuan, fen=fen),
    st.integers(0, 99_999_999),
    st.integers(0, 99),
    st.sampled_from(["{yuan}元", "{yuan}.{fen:02d}元", "罚款{yuan:,}.{fen:02d}元", "{yuan}分"]),
)
kept_numbers = st.one_of(case_numbers, grid_codes, component_codes, coordinates, dates, amounts)


@given(
    before=FILLER, after=FILLER, kept=kept_numbers, mobile=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
)
def test_codes_coordinates_dates_and_amounts_survive(before, after, kept, mobile):
    text = f"{before}{kept}{after}"
    assert mask_personal_text(text) == text
    # Beside a phone number the phone is masked and the other number is still whole.
    text = f"{before}{kept}，电话{mobile}{after}"
    assert mask_personal_text(text) == f"{before}{kept}，电话{mobile[:3]}****{mobile[7:]}{after}"


def test_log_filter_masks_personal_data(caplog):
    logger = logging.getLogger("qingcheng.test.masking")
    logger.addFilter(PersonalDataLogFilter())
    with caplog.at_level(logging.INFO, logger="qingcheng.test.masking"):
        logger.info("party %s phone %s", "150102199001011234", "13812345678")
        logger.info("caller %s landline %s", "138-1234-5678", "(0471)6012345")
    assert "150102199001011234" not in caplog.text
    assert "19900101" not in caplog.text
    assert "1501**********1234" in caplog.text
    assert "138****5678" in caplog.text
    assert "138-****-5678" in caplog.text and "(0471)*****45" in caplog.text


def test_log_filter_masks_tracebacks(caplog):
    logger = logging.getLogger("qingcheng.test.masking.exc")
    logger.addFilter(PersonalDataLogFilter())
    with caplog.at_level(logging.INFO, logger="qingcheng.test.masking.exc"):
        try:
            raise ValueError("bad party 150102199001011234 phone 138 1234 5678")
        except ValueError:
            logger.exception("failed")
    assert "19900101" not in caplog.text and "1234 5678" not in caplog.text
    assert "1501**********1234" in caplog.text


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("内蒙古自治区呼和浩特市新城区中山东路1号", "内蒙古自治区****"),
        ("新城区中山路", "****"),  # six characters or fewer: nothing is kept
        ("", ""),
        (None, ""),
    ],
)
def test_addresses_keep_only_their_first_six_characters(address, masked):
    assert mask_address(address) == masked
