"""The published OpenAPI document says what the endpoints really read, so that a client generated from
/api/openapi.json can call them.

django-ninja files every schema under its class name: two apps each with an `ActionIn` left one of them
documenting the other's body (the case loop's /actions showed the penalty procedure's `params` and
`officer_ids`). No name may stand for two different schemas, and the case actions' body is checked
against real successful requests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from ninja.openapi.schema import OpenAPISchema

from qingcheng.cases.models import Case
from qingcheng.cases.services import case_report

ACTIONS_PATH = "/api/cases/{case_id}/actions"


def test_no_schema_name_stands_for_two_different_schemas(monkeypatch):
    from qingcheng.api import api

    seen: dict[str, str] = {}
    clashes: set[str] = set()
    original = OpenAPISchema.add_schema_definitions

    def record(self, definitions):
        for name, body in definitions.items():
            text = json.dumps(body, sort_keys=True)
            if seen.setdefault(name, text) != text:
                clashes.add(name)
        return original(self, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", record)
    api.get_openapi_schema()
    assert seen and not clashes, f"schemas documented under one name but different: {sorted(clashes)}"


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").json()


def body_validator(document) -> jsonschema.protocols.Validator:
    """The documented request body of the case actions, with its references resolved in the document."""
    body = document["paths"][ACTIONS_PATH]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema = {**body, "components": document["components"]}
    cls = jsonschema.validators.validator_for({"$schema": "https://json-schema.org/draft/2020-12/schema"})
    cls.check_schema(schema)
    return cls(schema)


def test_the_documented_fields_are_the_ones_the_handlers_read(document):
    schemas = document["components"]["schemas"]
    body = schemas["CaseActionIn"]
    assert body["required"] == ["action"]
    assert set(body["properties"]) == {"action", "data", "note", "expected_version"}
    assert "params" not in body["properties"] and "officer_ids" not in body["properties"]
    package = Path(__file__).resolve().parents[1].joinpath("qingcheng/cases/services")
    source = "".join(module.read_text() for module in sorted(package.glob("*.py")))
    read = set(re.findall(r'data\.get\("([a-z_]+)"', source))
    read |= set(re.findall(r'_(?:parse_bool|require_text)\(data, "([a-z_]+)"', source))
    read -= {"_after_photos"}  # counted by the service from the uploaded photos, never sent
    assert read and read <= set(schemas["CaseActionData"]["properties"])


def _case(loop) -> Case:
    lon, lat = loop["point"]
    return case_report(
        actor=loop["users"]["supervisor"],
        source="supervisor",
        lon=lon,
        lat=lat,
        description="井盖缺失（测试）",
        category_code="E0102",
    ).case


def test_real_successful_requests_match_the_documented_body(
    loop, api_client_for, document, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    validator = body_validator(document)
    case = _case(loop)
    steps = [
        ("receiver", {"action": "open", "data": {"urgency": "urgent"}, "expected_version": 1}),
        (
            "dispatcher",
            {"action": "dispatch", "data": {"department_id": loop["unit"].pk}, "note": "请尽快处置"},
        ),
        ("handler", {"action": "accept"}),
        (
            "unit_manager",
            {
                "action": "request_extension",
                "data": {"reason": "需要采购井盖", "unit": "working_days", "amount": 2},
            },
        ),
    ]
    ref = document["paths"][ACTIONS_PATH]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "$ref"
    ]
    documented = document["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    for role, body in steps:
        validator.validate(body)
        # Every field sent is a documented one (a schema open to anything would validate any body).
        assert set(body) <= set(documented), (body, sorted(documented))
        response = api_client_for(loop["users"][role]).post(
            f"/api/cases/{case.pk}/actions", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 200, (body, response.content)
    assert Case.objects.get(pk=case.pk).status == "extension_requested"


def test_the_penalty_procedures_body_is_neither_documented_nor_accepted_here(loop, api_client_for, document):
    case = _case(loop)
    wrong = {"action": "open", "officer_ids": [1, 2], "params": {"fine_fen": 100}}
    with pytest.raises(jsonschema.ValidationError):
        body_validator(document).validate(wrong)
    response = api_client_for(loop["users"]["receiver"]).post(
        f"/api/cases/{case.pk}/actions", json.dumps(wrong), content_type="application/json"
    )
    assert response.status_code == 422
    assert Case.objects.get(pk=case.pk).status == "reported"
