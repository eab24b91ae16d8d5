from django.urls import path

from .bank_api import bank_callback

urlpatterns = [
    path("enforcement/bank/v1/callback", bank_callback, name="enforcement-bank-callback"),
]
