from django.urls import path

from . import views, views_party
from .disclosure import views as disclosure_views
from .payments.bank_api import bank_callback

urlpatterns = [
    path("enforcement/", views.home, name="enforcement-home"),
    path("enforcement/cases/new/", views.case_new, name="enforcement-case-new"),
    path("enforcement/cases/on-the-spot/", views.case_simplified, name="enforcement-case-simplified"),
    path("enforcement/cases/<int:case_id>/", views.case_detail, name="enforcement-case"),
    path("enforcement/cases/<int:case_id>/act/", views.case_act, name="enforcement-case-act"),
    path("enforcement/cases/<int:case_id>/evidence/", views.case_evidence, name="enforcement-case-evidence"),
    path("enforcement/statistics/", views.statistics, name="enforcement-statistics"),
    path("enforcement/transfers/", views.transfer_list, name="enforcement-transfers"),
    path("enforcement/transfers/<int:transfer_id>/", views.transfer_detail, name="enforcement-transfer"),
    path("enforcement/transfers/<int:transfer_id>/act/", views.transfer_act, name="enforcement-transfer-act"),
    path("enforcement/catalogue/", views.catalogue, name="enforcement-catalogue"),
    path("disclosure/", disclosure_views.disclosure_list, name="public-disclosure"),
    path("disclosure/<int:pk>/", disclosure_views.disclosure_detail, name="public-disclosure-detail"),
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
