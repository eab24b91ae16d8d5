from django.urls import path

from . import views

urlpatterns = [
    path("sensing/", views.monitor, name="sensing-monitor"),
    path("sensing/live.json", views.live, name="sensing-live"),
    path("sensing/alarms/<int:alarm_id>/<str:action>", views.alarm_action, name="sensing-alarm-action"),
    path("sensing/http/v1/telemetry", views.http_telemetry, name="sensing-http-telemetry"),
    path("ngsi-ld/v1/context.jsonld", views.ngsi_context, name="ngsi-context"),
    path("ngsi-ld/v1/entities", views.ngsi_entities, name="ngsi-entities"),
    path("ngsi-ld/v1/entities/<path:entity_id>", views.ngsi_entity, name="ngsi-entity"),
    path(
        "ngsi-ld/v1/temporal/entities/<path:entity_id>",
        views.ngsi_temporal_entity,
        name="ngsi-temporal-entity",
    ),
]
