"""Login forms that say when an account is locked by throttling (the backend decides; see
`services.login_attempt_begin`)."""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class _ThrottleMessage:
    locked_message = _("Too many failed logins. Try again in %(minutes)d minutes.")

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "login_locked", False):
                raise forms.ValidationError(
                    self.locked_message,
                    code="locked",
                    params={"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60},
                ) from None
            raise


class ThrottledAuthenticationForm(_ThrottleMessage, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(_ThrottleMessage, AdminAuthenticationForm):
    pass
