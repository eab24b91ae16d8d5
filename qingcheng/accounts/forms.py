"""Login forms that say when an account is locked by throttling."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import services


class _ThrottleMessage:
    locked_message = _("Too many failed logins. Try again in %(minutes)d minutes.")

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and services.login_is_locked(
            username=username, client_ip=services.client_ip(self.request)
        ):
            from django.conf import settings

            raise forms.ValidationError(
                self.locked_message,
                code="locked",
                params={"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60},
            )
        return super().clean()


class ThrottledAuthenticationForm(_ThrottleMessage, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(_ThrottleMessage, AdminAuthenticationForm):
    pass
