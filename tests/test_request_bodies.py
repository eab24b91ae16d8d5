"""Malformed request bodies get a 4xx with the error model, never a server error or a traceback page, on
the API, Open311 and the pages alike (core.middleware decides once for all of them). Run it on both
databases: a lone surrogate is what PostgreSQL refuses to store."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.test.client import FakePayload

from qingcheng.cases.models import Case

pytestmark = pytest.mark.django_db

PUBLIC_API = "/api/public/reports"
TRACK_API = "/api/public/track"
OPEN311 = "/open311/v2/requests.json"
PAGE = "/public/report/"


@pytest.fixture
def world(loop, settings, tmp_path):
    from django.core.cache import cache

    from qingcheng.open311.services import client_create, seed

    settings.DEBUG = True  # the demo runs with DEBUG on: it must not show a traceback page either
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    seed()
    _, open311_key = client_create(actor=None, name="FixMyStreet 测试", contact="ops@example.org")
    lon, lat = loop["point"]
    return {
        "loop": loop,
        "open311_key": open311_key,
        "form": {"lon": lon, "lat": lat, "long": lon, "service_code": "E0102", "description": "井盖缺失"},
    }


def _client() -> Client:
    return Client(raise_request_exception=False)


def _post(path: str, body: bytes, content_type: str, query: str = "", **extra):
    return _client().generic(
        "POST", f"{path}?{query}" if query else path, body, content_type=content_type, **extra
    )


OPEN311_WORDS = {
    "request_too_large": "request body too large",
    "invalid_multipart": "multipart form is malformed",
    "invalid_encoding": "is not valid UTF-8",
    "unsupported_charset": "is not accepted; send UTF-8",
    "invalid_text": "lone surrogate",
}


def _error(response, surface: str) -> tuple[int, str]:
    """(status, machine code) from the surface's own error model; fails on anything else."""
    text = response.content.decode("utf-8", "replace")
    assert "Traceback" not in text and "technical_500" not in text, text[:500]
    if surface == "api":
        assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
        error = json.loads(response.content)["error"]
        assert error["message_zh"] and error["message_en"] and isinstance(error["details"], dict)
        return response.status_code, error["code"]
    if surface == "open311":
        rows = json.loads(response.content)
        assert rows[0]["code"] == response.status_code and rows[0]["description"]
        # The wire code is the status; the description is the English message of the platform's code.
        found = [code for code, words in OPEN311_WORDS.items() if words in rows[0]["description"]]
        return response.status_code, found[0] if found else rows[0]["description"]
    found = re.search(r'data-code="([a-z_0-9]+)"', text)
    assert found, text[:800]
    return response.status_code, found.group(1)


SURFACES = {
    "api": (PUBLIC_API, ""),
    "open311": (OPEN311, "api_key={key}"),
    "page": (PAGE, ""),
}


def _target(world, surface):
    path, query = SURFACES[surface]
    return path, query.format(key=world["open311_key"])


@pytest.mark.parametrize("surface", SURFACES)
def test_a_json_body_over_the_limit_is_413(world, settings, surface):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    path, query = _target(world, surface)
    body = json.dumps({"number": "x" * 20_000, "secret": "y"}).encode()
    status, code = _error(_post(path, body, "application/json", query), surface)
    assert status == 413 and code == "request_too_large"
    if surface == "api":  # a JSON operation, not only the upload one
        status, code = _error(_post(TRACK_API, body, "application/json"), "api")
        assert (status, code) == (413, "request_too_large")


@pytest.mark.parametrize("surface", SURFACES)
def test_a_form_body_over_the_limit_is_413(world, settings, surface):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    path, query = _target(world, surface)
    body = ("description=" + "堆" * 5_000).encode()
    status, code = _error(_post(path, body, "application/x-www-form-urlencoded", query), surface)
    assert status == 413 and code == "request_too_large"


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data; boundary=", "multipart/form-data", "multipart/form-data; boundary=\x7f\x7f"],
)
def test_a_multipart_body_with_a_bad_boundary_is_400(world, surface, content_type):
    path, query = _target(world, surface)
    body = b'--zzz\r\nContent-Disposition: form-data; name="description"\r\n\r\nx\r\n--zzz--\r\n'
    status, code = _error(_post(path, body, content_type, query), surface)
    assert status == 400 and code == "invalid_multipart"
    assert Case.objects.count() == 0


@pytest.mark.parametrize("surface", SURFACES)
def test_a_form_body_that_is_not_utf8_is_400(world, surface):
    path, query = _target(world, surface)
    for raw in (b"%ff%fe%e4", b"\xff\xfe\xe4abc"):
        body = "&".join(f"{k}={v}" for k, v in world["form"].items()).encode() + b"&address=" + raw
        status, code = _error(_post(path, body, "application/x-www-form-urlencoded", query), surface)
        assert status == 400 and code == "invalid_encoding", raw
    assert Case.objects.count() == 0


@pytest.mark.parametrize("surface", SURFACES)
def test_a_query_string_that_is_not_utf8_is_400(world, surface):
    path, query = _target(world, surface)
    query = "&".join(filter(None, [query, "jurisdiction_id=%ff%fe"]))
    response = _client().get(f"{path}?{query}")
    status, code = _error(response, surface)
    assert status == 400 and code == "invalid_encoding"


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    "charset", ["unicode_escape", "raw_unicode_escape", "rot13", "base64", "gbk", "utf-16", "no-such-charset"]
)
def test_a_charset_other_than_utf8_is_400(world, surface, charset):
    """A declared charset such as unicode_escape would turn "\\ud800" in a form into a lone surrogate, and
    rot13 or base64 crash Django while it builds the request (before any middleware) when there is a
    query string: the WSGI application takes such a charset aside and the request is refused."""
    from django.test.client import ClientHandler

    from qingcheng.core.middleware import CharsetGuard, guard_charset
    from qingcheng.wsgi import application

    assert isinstance(application, CharsetGuard)
    path, query = _target(world, surface)
    body = "&".join(f"{k}={v}" for k, v in world["form"].items()).encode() + b"&address=%5Cud800"
    environ = Client()._base_environ(
        PATH_INFO=path,
        QUERY_STRING=query or "x=1",
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"application/x-www-form-urlencoded; charset={charset}",
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": FakePayload(body)},
    )
    response = ClientHandler(enforce_csrf_checks=False)(guard_charset(environ))
    status, code = _error(response, surface)
    assert status == 400 and code == "unsupported_charset"
    assert Case.objects.count() == 0


def test_utf8_may_be_declared(world):
    lon, lat = world["loop"]["point"]
    body = f"lon={lon}&lat={lat}&description=路灯不亮".encode()
    response = _post(PAGE, body, "application/x-www-form-urlencoded; charset=UTF-8")
    assert response.status_code == 200, response.content.decode()[:500]
    assert Case.objects.get().description == "路灯不亮"


@pytest.mark.parametrize(
    "path, body, headers",
    [
        # A dict[str, Any] field: pydantic passes the string through to the database.
        ("machine", None, None),
        # A str field: pydantic refused it with a 422 already; now the same 400 as everywhere.
        (TRACK_API, b'{"number": "\\ud800", "secret": "x"}', {}),
        (TRACK_API, b'{"number": "1", "secret": "x", "\\udfff": 1}', {}),
    ],
)
def test_a_lone_surrogate_in_json_is_400_on_the_api(world, api_key_for_machine, path, body, headers):
    if path == "machine":
        from datetime import UTC, datetime

        lon, lat = world["loop"]["point"]
        event = {
            "vendor": "demo-video",
            "event_id": "e-surrogate",
            "event_code": "garbage_exposed",
            "lon": lon,
            "lat": lat,
            "occurred_at": datetime.now(UTC).isoformat(),
            "payload": {"note": "PLACEHOLDER"},
        }
        path = "/api/intake/machine/events"
        body = json.dumps(event).replace("PLACEHOLDER", "abc\\ud800").encode()
        headers = {"HTTP_X_API_KEY": api_key_for_machine}
    response = _post(path, body, "application/json", **headers)
    status, code = _error(response, "api")
    assert (status, code) == (400, "invalid_text")
    assert Case.objects.count() == 0


def test_a_valid_surrogate_pair_is_text_like_any_other(world):
    body = b'{"number": "\\ud83d\\ude00", "secret": "x"}'  # U+1F600, written as a pair
    response = _post(TRACK_API, body, "application/json")
    assert response.status_code == 404  # an unknown number, read as text


def test_a_lone_surrogate_in_sensor_telemetry_is_400(world):
    from qingcheng.sensing.models import Reading
    from qingcheng.sensing.services import device_create, device_key_create

    lon, lat = world["loop"]["point"]
    device = device_create(
        actor=None, device_id="PARKING-S1", device_type="parking_lot", name="测试停车场", lon=lon, lat=lat
    )
    _, raw = device_key_create(actor=None, device=device)
    body = b'{"ts": 1760000000000, "values": {"availableSpotNumber": 3, "note\\ud800": "x"}}'
    response = _post("/sensing/http/v1/telemetry", body, "application/json", HTTP_X_DEVICE_KEY=raw)
    status, code = _error(response, "api")
    assert (status, code) == (400, "invalid_text") and Reading.objects.count() == 0


@pytest.fixture
def api_key_for_machine(make_user):
    import importlib

    from django.apps import apps as django_apps

    from qingcheng.accounts.services import api_key_create

    importlib.import_module("qingcheng.intake.migrations.0002_seed_machine_event_mappings").seed(
        django_apps, None
    )
    user = make_user(["api_client"], area_code="150105")
    return api_key_create(actor=None, user=user, name="视频平台")[1]


@pytest.mark.parametrize(
    "exc, status, code",
    [
        ("RequestDataTooBig", 413, "request_too_large"),
        ("MultiPartParserError", 400, "invalid_multipart"),
        ("TooManyFieldsSent", 400, "invalid_request"),
    ],
)
def test_the_api_answers_body_errors_raised_past_the_middleware_with_the_error_model(
    settings, exc, status, code
):
    """Whatever reads a body another way (ninja parses files of a PATCH itself) still gets a 4xx."""
    from django.core import exceptions
    from django.http import multipartparser
    from django.test import RequestFactory

    from qingcheng.api import api

    settings.DEBUG = True
    error = getattr(exceptions, exc, None) or getattr(multipartparser, exc)
    response = api.on_exception(RequestFactory().post("/api/public/reports"), error("x"))
    assert response.status_code == status and _error(response, "api") == (status, code)


def test_a_form_sent_to_a_json_operation_or_a_machine_endpoint_is_a_4xx(world):
    """The middleware parses forms, after which Django has no raw body left: a JSON operation that gets a
    form says so (400), and the machine endpoints that sign or parse the raw body read it untouched."""
    from qingcheng.testing.uploads import StreamedMultipart

    form = StreamedMultipart({"number": "1", "secret": "x"}, [])
    response = _post(TRACK_API, form.read(), form.content_type)
    assert _error(response, "api") == (400, "unsupported_media_type")
    bank = _client().post("/enforcement/bank/v1/callback", {"bank_code": "X", "amount_fen": "1"})
    assert 400 <= bank.status_code < 500 and _error(bank, "api")[0] == bank.status_code
    telemetry = _client().post("/sensing/http/v1/telemetry", {"values": "1"})
    assert telemetry.status_code == 401
