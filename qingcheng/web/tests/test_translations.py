"""The Simplified Chinese catalogue is complete, compiled, and used by the pages.

The catalogue is read with a small parser of our own (no polib), enough for what makemessages writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "qingcheng" / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.mo"

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"\s*$')
_CONTINUATION = re.compile(r'^"(.*)"\s*$')


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def msgstrs(self) -> dict[str, str]:
        return {k: v for k, v in self.fields.items() if k.startswith("msgstr")}


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file in order, the header (msgid "") first; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    key: str | None = None

    def finish() -> None:
        nonlocal current, key
        if current is not None and "msgid" in current.fields:
            entries.append(current)
        current, key = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if current is not None and key is not None:  # a comment after the strings starts a new entry
                finish()
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        match = _KEYWORD.match(line)
        if match:
            if current is None:
                current = Entry(line=number)
            elif match.group(1) in ("msgctxt", "msgid") and key is not None and key != "msgctxt":
                finish()
                current = Entry(line=number)
            key = match.group(1)
            current.fields[key] = _unescape(match.group(2))
            continue
        match = _CONTINUATION.match(line)
        assert match and current is not None and key is not None, f"{path}:{number}: cannot parse {raw!r}"
        current.fields[key] += _unescape(match.group(1))
    finish()
    return entries


def _placeholders(text: str) -> list[str]:
    printf = re.findall(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc%]", text)
    brace = re.findall(r"\{[^{}]*\}", text)
    return sorted(p for p in printf if p != "%%") + sorted(brace)


@pytest.fixture(scope="module")
def zh_entries() -> list[Entry]:
    assert ZH_PO.exists(), "run makemessages -l zh_Hans"
    return parse_po(ZH_PO)


def test_header_declares_chinese_single_plural_form(zh_entries):
    header = zh_entries[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "Plural-Forms: nplurals=1; plural=0;" in header.fields["msgstr"]
    assert "charset=UTF-8" in header.fields["msgstr"]


def test_catalogue_is_fully_translated_and_has_no_fuzzy_entries(zh_entries):
    messages = zh_entries[1:]
    assert len(messages) > 100
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    untranslated = [
        e.msgid for e in messages if not e.msgstrs or any(not s.strip() for s in e.msgstrs.values())
    ]
    assert fuzzy == []
    assert untranslated == []


def test_plural_entries_have_exactly_one_form(zh_entries):
    for entry in zh_entries[1:]:
        if "msgid_plural" in entry.fields:
            assert set(entry.msgstrs) == {"msgstr[0]"}, entry.msgid


def test_placeholders_are_kept(zh_entries):
    for entry in zh_entries[1:]:
        expected = _placeholders(entry.msgid)
        for form in entry.msgstrs.values():
            assert _placeholders(form) == expected, entry.msgid


def test_translations_are_chinese_not_copies_of_the_english(zh_entries):
    # The term in parentheses is the translation, not the whole "English (中文)" label.
    copied = [
        e.msgid
        for e in zh_entries[1:]
        for s in e.msgstrs.values()
        if re.search(r"[A-Za-z]{3,}.*\([^)]*[\u4e00-\u9fff]", s)
    ]
    assert copied == []


def test_compiled_catalogue_matches_the_po_file(zh_entries):
    """The committed .mo is what Django serves: every translation in the .po must come out of it."""
    assert ZH_MO.exists(), "run compilemessages"
    stale = []
    with translation.override("zh-hans"):
        for entry in zh_entries[1:]:
            context = entry.fields.get("msgctxt")
            if "msgid_plural" in entry.fields:
                if context is None:
                    got = translation.ngettext(entry.msgid, entry.fields["msgid_plural"], 1)
                else:
                    got = translation.npgettext(context, entry.msgid, entry.fields["msgid_plural"], 1)
                want = entry.fields["msgstr[0]"]
            else:
                if context is None:
                    got = translation.gettext(entry.msgid)
                else:
                    got = translation.pgettext(context, entry.msgid)
                want = entry.fields["msgstr"]
            if got != want:
                stale.append(entry.msgid)
    assert stale == [], "the .mo is out of date: run compilemessages"


def test_login_page_in_chinese(client, db):
    html = client.get("/login/").content.decode()
    for text in ("登录青城", "用户名", "密码", "城市管理", "语言"):
        assert text in html
    assert "Log in to Qingcheng" not in html
    assert "Username" not in html


def test_home_page_in_chinese(client, make_user):
    user = make_user(["supervisor"], password="correct-horse-battery")
    response = client.post(
        "/login/", {"username": user.username, "password": "correct-horse-battery"}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated
    html = response.content.decode()
    for text in ("欢迎", "我的角色", "我的辖区和单位", "辖区范围", "首页", "网格地图", "退出登录", "监督员"):
        assert text in html
    for english in ("Welcome", "Your roles", "Log out", "Grid map"):
        assert english not in html


def test_model_labels_in_chinese():
    from qingcheng.accounts.models import Department

    with translation.override("zh-hans"):
        assert str(Department._meta.verbose_name) == "部门"
        assert str(Department.Kind.STREET.label) == "街道办事处"
    with translation.override("en"):
        assert str(Department.Kind.STREET.label) == "Street office (街道办事处)"
