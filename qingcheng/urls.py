from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("open311/", include("qingcheng.open311.urls")),
    path("", include("qingcheng.evaluation.urls")),
    path("", include("qingcheng.sensing.urls")),
    path("", include("qingcheng.emergency.urls")),
    path("", include("qingcheng.enforcement.urls")),
    path("", include("qingcheng.geo.urls")),
    path("", include("qingcheng.web.urls")),
]
