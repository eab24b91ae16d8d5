"""The two wire formats of GeoReport v2, chosen by the path suffix.

XML: no namespace, UTF-8, the declaration first; a list is a root element repeating one child element
(`services/service`, `service_requests/request`, ...). JSON: the same data mechanically mapped, where a
list root becomes a top-level array. Booleans are `true`/`false`, absent values are empty elements in XML
and `null` in JSON, codes and ids are always strings.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

from .errors import Open311Error

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# The element name of one item of a nested list, by the list's name.
ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "groups": "group",
    "photos": "photo",
    "notes": "note",
    "media_urls": "media_url",
}
# Characters XML 1.0 cannot carry at all (control characters other than tab, newline, return).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        _fill(element, value)
    elif isinstance(value, list):
        item_tag = ITEM_TAGS.get(tag, "item")
        for item in value:
            _append(element, item_tag, item)
    else:
        text = _text(value)
        if text:
            element.text = text


def _fill(element: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        _append(element, key, value)


def to_xml(root: str, data: dict[str, Any] | list[dict[str, Any]], item: str = "") -> str:
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _append(element, item, entry)
    else:
        _fill(element, data)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode")


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value)
    if isinstance(value, dict):
        return {k: _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    return value


def respond(
    fmt: str,
    root: str,
    data: dict[str, Any] | list[dict[str, Any]],
    *,
    item: str = "",
    status: int = 200,
) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(_clean_json(data), ensure_ascii=False, separators=(",", ":"))
    else:
        body = to_xml(root, data, item)
    response = HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])
    response["Access-Control-Allow-Origin"] = "*"
    return response


def error_response(fmt: str, error: Open311Error) -> HttpResponse:
    rows = [{"code": e.status, "description": e.description} for e in error.errors]
    response = respond(fmt, "errors", rows, item="error", status=error.status)
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    if error.status == 405:
        response["Allow"] = "GET, POST"
    return response
