"""The JSON API (django-ninja): every app's router is mounted here; OpenAPI at /api/docs."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, RawPostDataException
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from qingcheng.accounts.api import router as accounts_router
from qingcheng.accounts.auth import api_auth
from qingcheng.cases.api import router as cases_router
from qingcheng.components.api import router as components_router
from qingcheng.core.api import router as core_router
from qingcheng.core.errors import DomainError, NotFound, PermissionDeniedError
from qingcheng.emergency.api import router as emergency_router
from qingcheng.enforcement.api import router as enforcement_router
from qingcheng.geo.api import router as geo_router
from qingcheng.geo.api_gazetteer import router as gazetteer_router
from qingcheng.intake.api import public_router
from qingcheng.intake.api import router as intake_router
from qingcheng.sensing.api import router as sensing_router

# Every operation can answer with the platform's error body; the schema says so, so that clients (and the
# schemathesis fuzzing in tests/test_api_fuzz.py) know every status they may meet.
ERROR_STATUSES = {
    "400": "Invalid input or a refused business rule (code and message in zh-Hans and English)",
    "401": "Not logged in and no valid API key",
    "403": "Not permitted for this user",
    "404": "Not found, or outside the user's area (the two look the same)",
    "409": "Conflict: the record changed, the state does not allow it, or an idempotency key was reused",
    "413": "Upload too large",
    "422": "Input does not match the schema",
    "429": "Too many requests",
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "message_zh", "message_en", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "message_zh": {"type": "string"},
                "message_en": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


class QingchengAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        reference = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses.setdefault(status, {"description": description, **reference})
        return schema


api = QingchengAPI(
    title="Qingcheng API",
    version="1",
    description=(
        "青城 digital urban management: JSON API. Authenticate with an `X-API-Key` header or a session."
    ),
    auth=api_auth,
    urls_namespace="api",
)


def _render(request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _render(request, exc)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    error = DomainError(
        "invalid_input", "输入数据无效", "Input is invalid", status=422, details={"errors": exc.errors}
    )
    return _render(request, error)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    error = DomainError(
        "unauthenticated", "需要登录或有效的接口密钥", "Log in or send a valid API key", status=401
    )
    return _render(request, error)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _render(request, NotFound())


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _render(request, PermissionDeniedError())


# core.middleware refuses bad bodies before an operation runs; these catch whatever reads a body some
# other way (a PATCH with files, a future parser) so that it still answers with the error model.
@api.exception_handler(RequestDataTooBig)
def request_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    from qingcheng.core.uploads import request_too_large as refused

    return _render(request, refused(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


@api.exception_handler(MultiPartParserError)
def malformed_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    error = DomainError(
        "invalid_multipart", "multipart 表单格式无效", "the multipart form is malformed (boundary or parts)"
    )
    return _render(request, error)


@api.exception_handler(RawPostDataException)
def form_sent_to_a_json_operation(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    """A form (parsed by core.middleware, which leaves no raw body) sent where a JSON body is read."""
    error = DomainError(
        "unsupported_media_type",
        "此接口接受 JSON 请求体（Content-Type: application/json）",
        "this operation takes a JSON body (Content-Type: application/json)",
    )
    return _render(request, error)


@api.exception_handler(SuspiciousOperation)
def suspicious_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return _render(request, DomainError("invalid_request", "请求无效", "the request is not acceptable"))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    error = DomainError("http_error", str(exc), str(exc), status=exc.status_code)
    return _render(request, error)


api.add_router("/core/", core_router)
api.add_router("/accounts/", accounts_router)
api.add_router("/geo/", geo_router)
api.add_router("/geo/", gazetteer_router)
api.add_router("/components/", components_router)
api.add_router("/cases/", cases_router)
api.add_router("/intake/", intake_router)
api.add_router("/public/", public_router)
api.add_router("/sensing/", sensing_router)
api.add_router("/emergency/", emergency_router)
api.add_router("/enforcement/", enforcement_router)
