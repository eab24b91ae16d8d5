from django.urls import path

from . import views_party
from .bank_api import bank_callback

urlpatterns = [
    path("enforcement/bank/v1/callback", bank_callback, name="enforcement-bank-callback"),
    path(
        "enforcement/evidence/<int:evidence_id>/file",
        views_party.evidence_file,
        name="enforcement-evidence-file",
    ),
    path(
        "enforcement/cases/<str:number>/archive.zip",
        views_party.case_archive_file,
        name="enforcement-archive",
    ),
    path("enforcement/notice/<uuid:public_id>/", views_party.party_notice, name="enforcement-party-notice"),
    path(
        "enforcement/notice/<uuid:public_id>/evidence/<int:evidence_id>",
        views_party.party_evidence,
        name="enforcement-party-evidence",
    ),
]
