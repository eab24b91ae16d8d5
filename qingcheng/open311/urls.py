"""Open311 GeoReport v2 under /open311/v2/: the format is the path suffix (.xml or .json)."""

from django.urls import path, re_path

from . import views

app_name = "open311"

F = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(rf"^v2/discovery{F}", views.discovery, name="discovery"),
    re_path(rf"^v2/services{F}", views.services_list, name="services"),
    re_path(rf"^v2/services/(?P<code>[^/]{{1,40}}){F}", views.service_definition, name="service"),
    re_path(rf"^v2/requests{F}", views.requests_collection, name="requests"),
    re_path(rf"^v2/requests/(?P<number>[^/]{{1,40}}){F}", views.request_detail, name="request"),
    re_path(rf"^v2/tokens/(?P<token>[^/]{{1,60}}){F}", views.token_detail, name="token"),
    re_path(rf"^v2/servicerequestupdates{F}", views.updates_collection, name="updates"),
    re_path(r"^v2/media/(?P<sha256>[0-9a-f]{64})\.jpg$", views.media, name="media"),
    path("v2/<path:rest>", views.unknown, name="unknown"),
]
