from django.urls import path

from . import views

urlpatterns = [
    path("command-centre/", views.command_centre, name="evaluation-command-centre"),
    path("command-centre/data.json", views.command_centre_data, name="evaluation-command-centre-data"),
    path("evaluation/", views.reports, name="evaluation-reports"),
    path("evaluation/download/", views.report_download, name="evaluation-report-download"),
]
