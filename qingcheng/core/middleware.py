"""Request bodies and query strings are checked once, here, before any view or other middleware reads them.

- Size: a body whose declared length passes the view's cap is refused (413) without reading a byte; a
  file part is refused while it streams (`core.uploads`). JSON and other bodies are capped at
  `DATA_UPLOAD_MAX_MEMORY_SIZE`.
- Form bodies are parsed here, in this middleware, so a bad multipart boundary, too many fields or a
  refused file answer 4xx with the error model instead of escaping from `request.POST` in the middle of a
  view (or of the CSRF check) as a server error.
- Text: query strings and form bodies must be valid UTF-8 (or the declared charset, from a short list of
  real text encodings); no decoded value or JSON string may hold a lone surrogate, which neither database
  can store and no renderer can encode.

The answer is the platform's error model: JSON (`{"error": {...}}`) for the API and machine endpoints,
the view's own page where it offers one (`UploadPolicy.refused`), else a plain page with the message.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import DomainError
from .inputs import find_lone_surrogate, has_lone_surrogate, lone_surrogate_error
from .uploads import (
    NO_UPLOADS,
    LimitedUploadHandler,
    UploadPolicy,
    UploadRefused,
    error_json,
    photo_policy,
    request_too_large,
)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Form bodies are UTF-8 (Django refuses any other declared charset for urlencoded forms, as a server
# error page under DEBUG); a declared charset is also what Django decodes the query string with, so an
# exotic one (unicode_escape turns "\\ud800" into a lone surrogate, rot13 crashes the decoder) is refused
# for every body.
ALLOWED_CHARSETS = {codecs.lookup(name).name for name in ("utf-8", "ascii")}
# A \\uD800–\\uDFFF escape anywhere in the raw body: only then is a JSON body decoded here to look closer.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _invalid_encoding(where_zh: str, where_en: str) -> UploadRefused:
    return UploadRefused(
        "invalid_encoding", f"{where_zh}不是有效的 UTF-8 文本", f"the {where_en} is not valid UTF-8 text"
    )


def _bad_body(code: str, zh: str, en: str, status: int = 400) -> UploadRefused:
    return UploadRefused(code, zh, en, status=status)


def _decodes(raw: str | bytes, encoding: str) -> bool:
    """Whether a query string or urlencoded body, percent-decoded, is valid text in `encoding`."""
    data = raw.encode("latin-1") if isinstance(raw, str) else raw
    try:
        unquote_to_bytes(data.replace(b"+", b" ")).decode(encoding)
    except (UnicodeDecodeError, UnicodeEncodeError):
        return False
    return True


def _query_dict_surrogate(query: Any) -> bool:
    return any(
        has_lone_surrogate(key) or any(has_lone_surrogate(v) for v in values) for key, values in query.lists()
    )


REFUSED_CHARSET_KEY = "qingcheng.refused_charset"
_CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*\"?([^\";]*)\"?", re.IGNORECASE)


def guard_charset(environ: dict[str, Any]) -> dict[str, Any]:
    """Take a charset that is not UTF-8 out of CONTENT_TYPE before Django builds the request: Django
    decodes the query string with it while constructing the request, so a codec that is not a text
    encoding (rot13, base64) fails there, outside every middleware. The charset is kept aside and
    `RequestBodyMiddleware` refuses the request with it."""
    content_type = environ.get("CONTENT_TYPE") or ""
    found = _CHARSET_PARAM.search(content_type)
    if found is not None and _charset_name(found.group(1)) not in ALLOWED_CHARSETS:
        environ[REFUSED_CHARSET_KEY] = found.group(1)
        environ["CONTENT_TYPE"] = (content_type[: found.start()] + content_type[found.end() :]).strip()
    return environ


class CharsetGuard:
    """WSGI wrapper around the Django application (qingcheng/wsgi.py) applying `guard_charset`."""

    def __init__(self, application: Callable) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        return self.application(guard_charset(environ), start_response)


def _charset_name(declared: str) -> str:
    try:
        return codecs.lookup(declared.strip()).name
    except LookupError:
        return ""


class RequestBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict):
        policy = self._policy(request, view_func)
        try:
            self._check(request, policy)
        except DomainError as error:
            self._forget_body(request)
            return self._refusal(request, error, policy, view_kwargs)
        return None

    # ------------------------------------------------------------------ which limits

    @staticmethod
    def _is_api(request: HttpRequest) -> bool:
        match = getattr(request, "resolver_match", None)
        return match is not None and "api" in (match.namespaces or [])

    def _policy(self, request: HttpRequest, view_func: Callable) -> UploadPolicy:
        policy = getattr(view_func, "upload_policy", None)
        if policy is not None:
            return policy
        # Every operation of the JSON API shares one view per path; the ones that take files take photos.
        return photo_policy() if self._is_api(request) else NO_UPLOADS

    # ------------------------------------------------------------------ checks

    def _check(self, request: HttpRequest, policy: UploadPolicy) -> None:
        if not _decodes(request.META.get("QUERY_STRING", ""), "utf-8"):
            raise _invalid_encoding("查询参数", "query string")
        encoding = self._charset(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.method not in BODY_METHODS or length <= 0:
            return
        content_type = request.content_type or ""
        if content_type == "multipart/form-data":
            cap = policy.max_request_bytes()
            if length > cap:
                raise request_too_large(cap)
            if not policy.reads_raw_body:
                request.upload_handlers = [LimitedUploadHandler(request, policy), *request.upload_handlers]
        else:
            cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if cap is not None and length > cap:
                raise request_too_large(cap)
        if content_type in FORM_TYPES and not policy.reads_raw_body:
            if request.method == "POST":
                self._parse_form(request, encoding)
        else:
            self._check_json_text(request)

    @staticmethod
    def _charset(request: HttpRequest) -> str:
        declared = request.META.get(REFUSED_CHARSET_KEY) or (request.content_params or {}).get("charset")
        if not declared:
            return "utf-8"
        name = _charset_name(declared)
        if name not in ALLOWED_CHARSETS:
            # Django took the declared charset for decoding GET and POST; nothing may decode with it now.
            request.encoding = settings.DEFAULT_CHARSET
            raise _bad_body(
                "unsupported_charset",
                "请以 UTF-8 编码提交",
                f"charset {declared[:40]!r} is not accepted; send UTF-8",
            )
        return name

    def _parse_form(self, request: HttpRequest, encoding: str) -> None:
        if request.content_type == "application/x-www-form-urlencoded" and not _decodes(
            request.body, encoding
        ):
            raise _invalid_encoding("表单内容", "form body")
        try:
            post, _files = request.POST, request.FILES
        except DomainError:
            raise
        except RequestDataTooBig:
            raise request_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) from None
        except MultiPartParserError:
            raise _bad_body(
                "invalid_multipart",
                "multipart 表单格式无效",
                "the multipart form is malformed (boundary or parts)",
            ) from None
        except TooManyFieldsSent:
            raise _bad_body("too_many_fields", "表单字段过多", "too many form fields") from None
        except SuspiciousOperation:  # TooManyFilesSent and relatives
            raise _bad_body("invalid_form", "表单内容无效", "the form is not acceptable") from None
        except UnreadablePostError:
            raise _bad_body("incomplete_body", "请求内容不完整", "the request body ended early") from None
        except (UnicodeError, LookupError):
            raise _invalid_encoding("表单内容", "form body") from None
        if _query_dict_surrogate(post):
            raise lone_surrogate_error()

    @staticmethod
    def _check_json_text(request: HttpRequest) -> None:
        try:
            body = request.body
        except RequestDataTooBig:
            raise request_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) from None
        except UnreadablePostError:
            raise _bad_body("incomplete_body", "请求内容不完整", "the request body ended early") from None
        if not _SURROGATE_ESCAPE.search(body):
            return
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return  # not JSON: whoever reads it refuses it, and it cannot carry a surrogate through json
        path = find_lone_surrogate(data)
        if path is not None:
            error = lone_surrogate_error()
            error.details["path"] = path[:200]
            raise error

    # ------------------------------------------------------------------ answering

    @staticmethod
    def _forget_body(request: HttpRequest) -> None:
        """Nothing of a refused body stays reachable; temporary files of a part cut short are closed (and
        so deleted)."""
        for handler in getattr(request, "_upload_handlers", []) or []:
            file = getattr(handler, "file", None)
            if file is not None:
                with contextlib.suppress(OSError):
                    file.close()
        request._post, request._files = QueryDict(), MultiValueDict()

    def _refusal(
        self, request: HttpRequest, error: DomainError, policy: UploadPolicy, view_kwargs: dict
    ) -> HttpResponse:
        if policy.refused is not None:
            response = policy.refused(request, error, view_kwargs)
            if response is not None:
                return response
        if self._is_api(request) or self._wants_json(request):
            return error_json(error)
        return refused_page(request, error)

    @staticmethod
    def _wants_json(request: HttpRequest) -> bool:
        content_type = request.content_type or ""
        accept = request.headers.get("Accept", "")
        return "json" in content_type or ("json" in accept and "html" not in accept)


def refused_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The shell's page with the reason and a way back to the form."""
    back = request.headers.get("Referer", "")
    try:
        host = request.get_host()
    except SuspiciousOperation:
        host = ""
    if not host or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={host}, require_https=request.is_secure()
    ):
        back = ""
    return render(request, "core/request_refused.html", {"error": error, "back": back}, status=error.status)
