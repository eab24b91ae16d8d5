"""Every JSON write operation of the API, sent bodies that no client library would produce: NaN and
Infinity literals, a number that overflows a float, a 10^400 integer, nesting 10,000 deep. Each must be a
4xx with the error model and write nothing, never a 500."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests._rows import row_counts

pytestmark = pytest.mark.django_db

# Literals put in every top-level field of an operation's body (so each field's type meets them).
LITERALS = {
    "nan": b"NaN",
    "infinity": b"-Infinity",
    "1e400": b"1e400",
    "10^400": b"1" + b"0" * 400,
    "2^64": b"18446744073709551616",
    "deep list in each field": b"[" * 900 + b"]" * 900,
}
WHOLE = {
    "deep list": b"[" * 10_000 + b"]" * 10_000,
    "deep object": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
}


def _body(fields: list[str], label: str) -> bytes:
    if label in WHOLE:
        return WHOLE[label]
    return b"{" + b", ".join(b'"' + f.encode() + b'": ' + LITERALS[label] for f in fields) + b"}"


def _operations() -> list[tuple[str, str]]:
    from qingcheng.api import api

    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    ops = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {})
            if method in ("post", "put", "patch") and "application/json" in body:
                node = body["application/json"].get("schema", {})
                while "$ref" in node:
                    node = components[node["$ref"].rsplit("/", 1)[-1]]
                fields = sorted(node.get("properties", {})) or ["note"]
                ops.append((method, re.sub(r"\{[^}]+\}", "1", path), fields))
    return sorted(ops)


def test_there_are_json_write_operations():
    assert len(_operations()) >= 20


@pytest.mark.parametrize("label", sorted([*LITERALS, *WHOLE]))
def test_hostile_json_bodies_are_refused_everywhere(loop, make_user, label):
    from qingcheng.accounts.services import api_key_create

    keys = [
        api_key_create(actor=None, user=make_user(["admin"], area_code="150105"), name="h1")[1],
        api_key_create(actor=None, user=make_user(["enforcement_head"], area_code="150105"), name="h2")[1],
    ]
    client = Client(raise_request_exception=False)
    problems = []
    for method, path, fields in _operations():
        for key in keys:
            before = row_counts({"cases", "intake", "sensing", "emergency", "enforcement", "components"})
            response = getattr(client, method)(
                path, _body(fields, label), content_type="application/json", headers={"X-API-Key": key}
            )
            # a non-finite number or a document nested 10,000 deep is never accepted
            refuse = label in WHOLE or label in ("nan", "infinity", "1e400")
            if response.status_code >= 500 or (response.status_code < 400 and refuse):
                problems.append(f"{method.upper()} {path}: {response.status_code} {response.content[:120]!r}")
            elif response.status_code < 400:
                continue  # e.g. a PATCH whose every field may be null; a number did arrive as a number
            elif "error" not in response.json():
                problems.append(f"{method.upper()} {path}: no error model")
            elif (
                row_counts({"cases", "intake", "sensing", "emergency", "enforcement", "components"}) != before
            ):
                problems.append(f"{method.upper()} {path}: wrote")
    assert not problems, "\n".join(problems)
