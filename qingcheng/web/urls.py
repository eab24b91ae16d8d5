from django.contrib.auth import views as auth_views
from django.urls import path

from qingcheng.accounts.forms import ThrottledAuthenticationForm

from . import views, views_field, views_hotline, views_public

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("work/", views.workbench, name="workbench"),
    path("work/<slug:queue>/", views.workbench, name="workbench-queue"),
    path("cases/", views.workbench, name="case-search"),
    path("cases/<str:number>/", views.case_detail, name="case-detail"),
    path("cases/<str:number>/act/", views.case_action, name="case-action"),
    path("cases/<str:number>/photos/<int:photo_id>/", views.case_photo, name="case-photo"),
    # The hotline desk (12319 / 12345 / 110).
    path("hotline/", views_hotline.hotline, name="hotline"),
    path("hotline/<int:order_id>/", views_hotline.hotline_order, name="hotline-order"),
    path("hotline/<int:order_id>/act/", views_hotline.hotline_order_action, name="hotline-order-action"),
    # 城管通: the supervisor's field app (an installable PWA scoped to /m/).
    path("m/", views_field.field_app, name="field-app"),
    path("m/manifest.webmanifest", views_field.manifest, name="field-manifest"),
    path("m/sw.js", views_field.service_worker, name="field-sw"),
    # The public site: report, track, rate, and a map of recent public cases.
    path("public/", views_public.index, name="public-home"),
    path("public/report/", views_public.report, name="public-report"),
    path("public/track/", views_public.track, name="public-track"),
    path("public/rate/", views_public.rate, name="public-rate"),
    path("public/map.json", views_public.map_data, name="public-map-data"),
    path("public/districts.json", views_public.districts, name="public-districts"),
    path("public/photos/<str:number>/<int:photo_id>/", views_public.photo, name="public-photo"),
]
