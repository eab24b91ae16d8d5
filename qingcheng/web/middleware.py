"""Language selection: Chinese unless the user picked another language with the switch.

Pages ignore the browser's Accept-Language on purpose: the platform's working language is zh-Hans, and
a bureau PC with an English browser should not silently show English. API clients are programs that ask
for what they need, so under /api/ an Accept-Language header is honoured.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if not chosen and request.path.startswith("/api/") and request.META.get("HTTP_ACCEPT_LANGUAGE"):
            chosen = translation.get_language_from_request(request)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
