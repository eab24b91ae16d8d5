"""Property-based fuzzing of the whole JSON API with schemathesis, from its own OpenAPI schema.

Every operation gets generated requests (valid and invalid) as a city administrator, as a receiver and
as an enforcement head; the checks are schemathesis' defaults (no 5xx, responses match the schema,
status codes and content types are documented) plus ours: a rejected request (4xx) writes nothing.

CI size: QINGCHENG_FUZZ_EXAMPLES (default 5 per operation, each sent as three roles). Full size, as
documented in docs/security.md, as every role that may write:
`QINGCHENG_FUZZ_EXAMPLES=200 QINGCHENG_FUZZ_ROLES=writers .venv/bin/python -m pytest tests/test_api_fuzz.py -n 2`.
Some operations only: `QINGCHENG_FUZZ_ONLY='^GET /api/sensing/'` (a regular expression over "METHOD /path").
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

# Two default checks do not fit a domain API and are left out (docs/security.md says why):
# - positive_data_acceptance wants every schema-valid request accepted, but business rules refuse
#   schema-valid input with a 400 and a code (a point outside every grid, an unknown subclass);
# - negative_data_rejection wants every schema-invalid value refused, but pydantic's documented lax
#   coercion accepts some (a number as a Unix time for a datetime filter), which is harmless.
from tests._rows import row_counts

EXCLUDED_CHECKS = [positive_data_acceptance, negative_data_rejection]
EXAMPLES = int(os.environ.get("QINGCHENG_FUZZ_EXAMPLES", "5"))
# Tables whose row counts must not move when a request is refused (sessions and caches may).
WATCHED_APPS = {
    "accounts",
    "geo",
    "components",
    "cases",
    "intake",
    "open311",
    "evaluation",
    "sensing",
    "emergency",
    "enforcement",
}


# The schema is read through the WSGI app at collection time (the OpenAPI view touches no database);
# requests then go to the same app inside each test's transaction.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
# QINGCHENG_FUZZ_ONLY: a regular expression over "METHOD /path" to fuzz some operations at full size.
if os.environ.get("QINGCHENG_FUZZ_ONLY"):
    schema = schema.include(name_regex=os.environ["QINGCHENG_FUZZ_ONLY"])

# Values that broke servers before (docs/security.md): dates far in the past or future (year 1 at +14:00
# has no UTC instant, 9999-12-31 plus a day has no date), UTC offsets no zone has, numbers that overflow
# a float or take long to convert, and JSON nested deeper than anything real. Every date and date-time
# field and parameter draws from them as well as from ordinary values; bodies sometimes carry them.
FAR_DATES = ["0001-01-01", "1948-12-31", "2201-01-01", "9999-12-31", "2200-12-31", "1949-01-01"]
FAR_DATETIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59.999999Z",
    "1948-12-31T23:59:59+08:00",
    "2201-01-01T00:00:00+08:00",
    "2026-11-26T08:00:00+23:59",
    "2026-11-26T08:00:00-23:59",
]
ZONES = st.sampled_from(
    [
        dt.UTC,
        dt.timezone(dt.timedelta(hours=8)),
        dt.timezone(dt.timedelta(hours=14)),
        dt.timezone(-dt.timedelta(hours=12)),
    ]
)
schemathesis.openapi.format("date", st.one_of(st.sampled_from(FAR_DATES), st.dates().map(dt.date.isoformat)))
schemathesis.openapi.format(
    "date-time",
    st.one_of(
        st.sampled_from(FAR_DATETIMES),
        st.datetimes(timezones=ZONES).map(dt.datetime.isoformat),
    ),
)
# (Infinity, NaN and 1e400 cannot be sent by the client library; tests/test_hostile_json.py posts them raw.)
HOSTILE_VALUES = [
    10**400,  # serialised as a 401-digit integer literal
    -(10**40),
    2**63,
    1e308,
    nested_list := [],
]
_node = nested_list
for _ in range(400):  # deep, but still serialisable by json.dumps
    _node.append([])
    _node = _node[0]


@schema.hook
def flatmap_body(context, body):
    """Now and then one field of a JSON object body holds a hostile value, or the whole body is nested."""
    if not isinstance(body, dict) or not body:
        return st.just(body)
    keys = sorted(body)
    hostile = st.tuples(st.sampled_from(keys), st.sampled_from(HOSTILE_VALUES)).map(
        lambda pair: {**body, pair[0]: pair[1]}
    )
    return st.one_of(st.just(body), hostile, st.just({keys[0]: nested_list}))


@pytest.fixture(autouse=True)
def _one_connection_for_the_test():
    """The WSGI calls run in the test's thread and transaction; Django would close that connection at the
    end of every request (as the test client avoids doing), which on PostgreSQL ends the test."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# QINGCHENG_FUZZ_ROLES=writers sends every example as each role that may write (all roles but the
# read-only ones), each with its own key, instead of the three representative roles of the CI run.
FUZZ_ROLES = os.environ.get("QINGCHENG_FUZZ_ROLES", "three")


def writing_roles() -> list[str]:
    from qingcheng.accounts.roles import READ_ONLY_ROLES, ROLES

    return [role.key for role in ROLES if role.key not in READ_ONLY_ROLES]


@pytest.fixture
def api_keys(loop, make_user):
    """API keys of a district administrator, a receiver (fewer permissions, same area) and an enforcement
    head (who may take most steps of a penalty case); with QINGCHENG_FUZZ_ROLES=writers, of every role
    that may write (handlers and unit managers in the loop's unit)."""
    from qingcheng.accounts.services import api_key_create

    if FUZZ_ROLES == "writers":
        keys = []
        for role in writing_roles():
            user = loop["users"].get(role) or make_user(
                [role], area_code="150105", **({"staff_category": "auxiliary"} if role == "auxiliary" else {})
            )
            keys.append(api_key_create(actor=None, user=user, name=f"fuzz-{role}")[1])
        return keys
    admin = make_user(["admin"], area_code="150105")
    return [
        api_key_create(actor=None, user=admin, name="fuzz-admin")[1],
        api_key_create(actor=None, user=loop["users"]["receiver"], name="fuzz-receiver")[1],
        api_key_create(
            actor=None, user=make_user(["enforcement_head"], area_code="150105"), name="fuzz-head"
        )[1],
    ]


def _fingerprint() -> dict[str, int]:
    return row_counts(WATCHED_APPS)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
@pytest.mark.django_db
def test_api_never_fails_and_refusals_write_nothing(case, api_keys):
    for key in api_keys:
        before = _fingerprint()
        response = case.call(headers={"X-API-Key": key})
        case.validate_response(response, headers={"X-API-Key": key}, excluded_checks=EXCLUDED_CHECKS)
        if 400 <= response.status_code < 500:
            assert _fingerprint() == before, (
                f"{case.method} {case.path} answered {response.status_code} but wrote"
            )
