"""Upload limits, enforced while the request streams in, before anything is read into memory.

A view that takes files says so with `@accepts_uploads(files=..., file_bytes=...)`; every other view takes
none. `core.middleware.RequestBodyMiddleware` reads the view's limits before anything touches
`request.POST` or `request.FILES`: it refuses a body whose declared length is over the whole-request cap
without reading a byte, and puts `LimitedUploadHandler` first in the upload handlers, which refuses a file
part as soon as its declared or streamed size passes the per-file limit (or a file too many begins), so
at most one chunk past the limit is ever read and nothing of a refused request reaches a view.

Django's own handlers come after it: small requests in memory, larger ones spooled to temporary files
(`FILE_UPLOAD_MAX_MEMORY_SIZE`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse

from .errors import DomainError

# Room for the multipart headers of one part (name, file name, content type) in the whole-request cap.
PART_OVERHEAD_BYTES = 64 * 1024

Limit = int | Callable[[], int]
Refused = Callable[[HttpRequest, DomainError, dict[str, Any]], HttpResponse | None]


class UploadRefused(DomainError):
    """A request body refused before it was read: too large (413) or not acceptable (400)."""


def size_text(n: int) -> str:
    """A size as people read it: 10 MB, 1.5 MB, 200 KB, 900 B."""
    for unit, size in (("MB", 2**20), ("KB", 2**10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} B"


NOUNS = {
    # noun: (zh, en, code when one is too large, code when there are too many)
    "photo": ("照片", "photo", "photo_too_large", "too_many_photos"),
    "evidence": ("证据文件", "evidence file", "evidence_too_large", "too_many_files"),
    "file": ("文件", "file", "file_too_large", "too_many_files"),
}


def _value(limit: Limit) -> int:
    return int(limit() if callable(limit) else limit)


@dataclass(frozen=True)
class UploadPolicy:
    """What a view accepts: how many files, how large each, and how to show a refusal (None: the
    middleware's default for the kind of request)."""

    files: Limit = 0
    file_bytes: Limit = 0
    noun: str = "file"
    refused: Refused | None = None
    # The view reads `request.body` itself (signed or raw payloads): its body is not parsed as a form here,
    # since Django cannot hand out the raw body once a form has been parsed from the stream.
    reads_raw_body: bool = False

    def max_files(self) -> int:
        return _value(self.files)

    def max_file_bytes(self) -> int:
        return _value(self.file_bytes)

    def max_request_bytes(self) -> int:
        """Every file at its limit plus the form fields Django allows in memory."""
        data = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        return self.max_files() * (self.max_file_bytes() + PART_OVERHEAD_BYTES) + data

    def too_large(self, label: str, field: str = "") -> UploadRefused:
        zh, en, code, _many = NOUNS[self.noun]
        limit = size_text(self.max_file_bytes())
        label = (label or en)[:60]
        # The form field comes first: a client (FixMyStreet's photo1…N) shows which of its parts it was.
        where = f"{field[:40]}: " if field else ""
        return UploadRefused(
            code,
            f"{where}{zh} {label} 超过 {limit}",
            f"{where}{en} {label} is larger than {limit}",
            status=413,
            details={"field": field[:40]} if field else None,
        )

    def too_many(self) -> UploadRefused:
        zh, en, _code, code = NOUNS[self.noun]
        count = self.max_files()
        if count == 0:
            return UploadRefused("files_not_accepted", "此处不接受文件上传", "this form accepts no files")
        return UploadRefused(
            code, f"每次最多上传 {count} 个{zh}", f"at most {count} {en}s per request", status=400
        )


def error_json(error: DomainError) -> JsonResponse:
    """The platform's error body, as the API and the machine endpoints answer."""
    return JsonResponse(error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False})


NO_UPLOADS = UploadPolicy()
# Machine endpoints (sensor telemetry, the bank callback): no files, and a refusal in JSON whatever the
# client declared.
JSON_ONLY = UploadPolicy(refused=lambda request, error, view_kwargs: error_json(error), reads_raw_body=True)


def photo_policy(files: Limit | None = None, refused: Refused | None = None) -> UploadPolicy:
    """Case photos: CASE_PHOTO_MAX_BYTES each, INTAKE_MAX_PHOTOS per request unless said otherwise."""
    return UploadPolicy(
        files=files if files is not None else (lambda: settings.INTAKE_MAX_PHOTOS),
        file_bytes=lambda: settings.CASE_PHOTO_MAX_BYTES,
        noun="photo",
        refused=refused,
    )


def accepts_uploads(policy: UploadPolicy) -> Callable:
    """Mark a view as taking files within `policy`. The mark survives other decorators (they copy the
    function's attributes with functools.wraps)."""

    def mark(view: Callable) -> Callable:
        view.upload_policy = policy
        return view

    return mark


def request_too_large(limit: int) -> UploadRefused:
    text = size_text(limit)
    return UploadRefused(
        "request_too_large",
        f"请求过大（最多 {text}）",
        f"request body too large (at most {text})",
        status=413,
    )


class LimitedUploadHandler(FileUploadHandler):
    """First in the chain: counts files and bytes, and passes each chunk on only while within limits."""

    def __init__(self, request: HttpRequest | None, policy: UploadPolicy) -> None:
        super().__init__(request)
        self.policy = policy
        self.max_files = policy.max_files()
        self.max_file_bytes = policy.max_file_bytes()
        self.files_begun = 0
        self.received = 0

    def new_file(
        self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None
    ):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.files_begun += 1
        self.received = 0
        if self.files_begun > self.max_files:
            raise self.policy.too_many()
        if content_length is not None and content_length > self.max_file_bytes:
            raise self.policy.too_large(file_name, field_name)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_file_bytes:
            raise self.policy.too_large(self.file_name, self.field_name)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
