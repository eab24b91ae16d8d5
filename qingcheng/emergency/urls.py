from django.urls import path

from . import views

urlpatterns = [
    path("emergency/", views.home, name="emergency-home"),
    path("emergency/incidents/", views.incident_list, name="emergency-incidents"),
    path("emergency/incidents/<int:pk>/", views.incident_detail, name="emergency-incident"),
    path("emergency/incidents/<int:pk>/act/", views.incident_action, name="emergency-incident-act"),
    path("emergency/hazard-sources/", views.hazard_sources, name="emergency-hazard-sources"),
    path("emergency/hidden-dangers/", views.hidden_dangers, name="emergency-hidden-dangers"),
    path("emergency/hidden-dangers/<int:pk>/", views.hidden_danger_detail, name="emergency-hidden-danger"),
    path("emergency/plans/", views.plans, name="emergency-plans"),
    path("emergency/shelters/", views.shelters, name="emergency-shelters"),
    path("emergency/supplies/", views.supplies, name="emergency-supplies"),
]
