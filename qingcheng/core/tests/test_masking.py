import logging

from hypothesis import given
from hypothesis import strategies as st

from qingcheng.core.masking import PersonalDataLogFilter, mask_id_number, mask_name, mask_phone, mask_text

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


@given(
    prefix=st.text(alphabet="abc 。，:", max_size=10),
    id_number=st.from_regex(r"[1-6][0-9]{16}[0-9X]", fullmatch=True),
    phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
)
def test_free_text_masks_ids_and_phones(prefix, id_number, phone):
    text = f"{prefix}身份证{id_number}，电话{phone}。"
    masked = mask_text(text)
    assert id_number not in masked
    assert phone[3:7] + phone[7:] not in masked
    assert id_number[6:14] not in masked


def test_log_filter_masks_personal_data(caplog):
    logger = logging.getLogger("qingcheng.test.masking")
    logger.addFilter(PersonalDataLogFilter())
    with caplog.at_level(logging.INFO, logger="qingcheng.test.masking"):
        logger.info("party %s phone %s", "150102199001011234", "13812345678")
    assert "150102199001011234" not in caplog.text
    assert "19900101" not in caplog.text
    assert "1501**********1234" in caplog.text
    assert "138****5678" in caplog.text
