"""A stand-in for FixMyStreet's Open311 client (mysociety/fixmystreet, perllib/Open311.pm) that sends,
through Django's test client, the requests that client sends: the same parameter names, encodings,
content types and multipart field names. Written from reading its public code; none of it is copied.

What the real client does, and this one therefore does too:
- every POST carries `api_key` (and `jurisdiction_id` when configured) as form fields;
- a POST without files is `application/x-www-form-urlencoded` with the values UTF-8 encoded and list
  values repeated under the same name (`media_url` with `multi_photos`);
- with `upload_files` (reports) or `upload_files_for_updates` (updates) it is `multipart/form-data`, the
  photos in fields `photo1` … `photoN` with file names `<id>.<n>.full.<ext>` and their own content type;
- answers to a service's questions are `attribute[CODE]=value`; a datetime question is filled from an
  HTML `<input type="datetime-local">`, so its value has no offset (`2026-12-08T01:15`);
- a report that was not pinpointed on the map may carry `address_id=#NOTPINPOINTED#`;
- an update carries `updated_datetime`, `service_request_id`, `update_id`, `status` (`OPEN` while the
  report is open on its side, `CLOSED`/`FIXED` when not, `REOPEN` only with `mark_reopen`),
  `description`, `first_name`, `last_name` (`-` when unknown) and `email`;
- `GET servicerequestupdates` carries `api_key`, `start_date` and `end_date` (W3C, UTC);
- answers are read from XML the way XML::Simple reads them (see conftest.parse_xml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile

from .conftest import BASE, parse_xml


@dataclass
class Photo:
    data: bytes
    content_type: str = "image/jpeg"
    extension: str = "jpeg"


def w3cdtf(value: datetime) -> str:
    """DateTime::Format::W3CDTF: seconds, and `Z` for UTC or the `±HH:MM` offset."""
    text = value.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class FixMyStreet:
    def __init__(self, client: Any, api_key: str, *, jurisdiction: str | None = None) -> None:
        self.client = client
        self.api_key = api_key
        self.jurisdiction = jurisdiction
        self.last_response: Any = None
        self.sent: list[dict[str, Any]] = []

    # ---------------------------------------------------------------- transport (Open311.pm _request)

    def _post(self, path: str, params: dict[str, Any], uploads: dict[str, SimpleUploadedFile] | None = None):
        params = {k: v for k, v in params.items() if v is not None}
        if self.jurisdiction:
            params["jurisdiction_id"] = self.jurisdiction
        params["api_key"] = self.api_key
        if uploads:
            # HTTP::Request::Common form-data: every field, then the files under their own names.
            response = self.client.post(f"{BASE}/{path}", {**params, **uploads})
        else:
            body = urlencode(
                {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in params.items()},
                doseq=True,
                encoding="utf-8",
            )
            response = self.client.post(
                f"{BASE}/{path}", body, content_type="application/x-www-form-urlencoded"
            )
        self.sent.append({"method": "POST", "path": path, "params": params, "uploads": sorted(uploads or {})})
        self.last_response = response
        return response

    def _get(self, path: str, params: dict[str, Any]):
        params = {k: v for k, v in params.items() if v is not None}
        if self.jurisdiction:
            params["jurisdiction_id"] = self.jurisdiction
        query = urlencode(params, doseq=True, encoding="utf-8")
        response = self.client.get(f"{BASE}/{path}" + (f"?{query}" if query else ""))
        self.sent.append({"method": "GET", "path": path, "params": params, "uploads": []})
        self.last_response = response
        return response

    @staticmethod
    def _uploads(object_id: int, photos: list[Photo] | None) -> dict[str, SimpleUploadedFile]:
        """_add_photos_to_upload: photo1..N, named `<id>.<index from 0>.full.<ext>`."""
        return {
            f"photo{n}": SimpleUploadedFile(
                f"{object_id}.{n - 1}.full.{p.extension}", p.data, content_type=p.content_type
            )
            for n, p in enumerate(photos or [], start=1)
        }

    # ---------------------------------------------------------------- the calls

    def get_service_meta_info(self, service_code: str) -> dict[str, Any]:
        response = self._get(f"services/{service_code}.xml", {})
        assert response.status_code == 200, response.content.decode()
        return parse_xml(response, "service_definition")

    def send_service_request(
        self,
        *,
        service_code: str,
        description: str,
        name: str = "Xiaoming Wang",
        email: str = "xiaoming@example.com",
        phone: str | None = None,
        lat: float | None = None,
        long: float | None = None,
        address_id: str | None = None,
        address_string: str | None = None,
        attributes: dict[str, Any] | None = None,
        media_url: str | list[str] | None = None,
        photos: list[Photo] | None = None,
        report_id: int = 101,
    ) -> str | None:
        """_populate_service_request_params + _populate_service_request_uploads; the request id (or
        None when refused: the response is in `last_response`)."""
        first, _, last = name.partition(" ")
        params: dict[str, Any] = {
            "description": description,
            "service_code": service_code,
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": phone,
        }
        if lat is not None and long is not None:
            # Utils::truncate_coordinate: six decimals.
            params["lat"], params["long"] = f"{lat:.6f}", f"{long:.6f}"
        if address_id is not None:
            params["address_id"] = address_id
        if address_string is not None:
            params["address_string"] = address_string
        if media_url is not None:
            params["media_url"] = media_url
        for code, value in (attributes or {}).items():
            params[f"attribute[{code}]"] = value
        uploads = self._uploads(report_id, photos)
        if uploads:
            params.pop("media_url", None)  # always_upload_photos: the files replace the links
        response = self._post("requests.xml", params, uploads)
        if response.status_code != 200:
            return None
        row = parse_xml(response, "service_requests", "request")[0]
        return row.get("service_request_id") or None

    def post_service_request_update(
        self,
        *,
        service_request_id: str,
        update_id: int,
        status: str,
        description: str,
        confirmed: datetime,
        name: str = "Xiaoming Wang",
        email: str = "xiaoming@example.com",
        media_url: str | list[str] | None = None,
        photos: list[Photo] | None = None,
    ) -> str | None:
        """_populate_service_request_update_params (+ photos with upload_files_for_updates); the server's
        update id, or None when refused."""
        first, _, last = name.partition(" ")
        params: dict[str, Any] = {
            "updated_datetime": w3cdtf(confirmed),
            "service_request_id": service_request_id,
            "status": status,
            "description": description,
            "last_name": last or "-",
            "first_name": first,
            "email": email,
            "update_id": str(update_id),
        }
        if media_url is not None:
            params["media_url"] = media_url
        uploads = self._uploads(update_id, photos)
        if uploads:
            params.pop("media_url", None)
        response = self._post("servicerequestupdates.xml", params, uploads)
        if response.status_code != 200:
            return None
        return parse_xml(response, "service_request_updates", "request_update")[0]["update_id"]

    def get_service_request_updates(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        response = self._get(
            "servicerequestupdates.xml",
            {"api_key": self.api_key, "start_date": w3cdtf(start), "end_date": w3cdtf(end)},
        )
        assert response.status_code == 200, response.content.decode()
        return parse_xml(response, "service_request_updates", "request_update")

    def get_service_requests(self, ids: list[str]) -> list[dict[str, Any]]:
        response = self._get("requests.xml", {"service_request_id": ",".join(ids)})
        assert response.status_code == 200, response.content.decode()
        return parse_xml(response, "service_requests", "request")


# FixMyStreet's default states (db/fixture.sql plus the two it hard-codes, and the two fixed variants).
FMS_OPEN = {"confirmed", "investigating", "in progress", "planned", "action scheduled"}
FMS_FIXED = {"fixed", "fixed - council", "fixed - user"}
FMS_CLOSED = {"closed", "unable to fix", "not responsible", "duplicate", "internal referral", "cancelled"}


def map_state(status: str) -> str:
    """Open311.pm map_state (extended statuses off): an update's status as a FixMyStreet state."""
    incoming = status.lower().replace("_", " ")
    return {
        "fixed": "fixed - council",
        "not councils responsibility": "not responsible",
        "no further action": "unable to fix",
        "open": "confirmed",
        "closed": "fixed - council",
    }.get(incoming, incoming)


@dataclass
class Report:
    """FixMyStreet's copy of a report, moved by fetched updates the way UpdatesBase._process_update
    moves it: only to a state it knows, never from one fixed state to another."""

    state: str = "confirmed"

    def apply(self, update: dict[str, Any]) -> None:
        state = map_state(update["status"])
        if state not in FMS_OPEN | FMS_FIXED | FMS_CLOSED:
            return
        if self.state in FMS_FIXED and state in FMS_FIXED:
            return
        self.state = state

    @property
    def is_open(self) -> bool:
        return self.state in FMS_OPEN

    def update_status(self) -> str:
        """The status an update written now would carry (extended statuses off): OPEN while open."""
        return "OPEN" if self.is_open else "CLOSED"
