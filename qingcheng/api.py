"""The JSON API (django-ninja): every app's router is mounted here; OpenAPI at /api/docs."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from qingcheng.accounts.api import router as accounts_router
from qingcheng.accounts.auth import api_auth
from qingcheng.cases.api import router as cases_router
from qingcheng.components.api import router as components_router
from qingcheng.core.api import router as core_router
from qingcheng.core.errors import DomainError, NotFound, PermissionDeniedError
from qingcheng.geo.api import router as geo_router
from qingcheng.geo.api_gazetteer import router as gazetteer_router
from qingcheng.intake.api import public_router
from qingcheng.intake.api import router as intake_router

api = NinjaAPI(
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
