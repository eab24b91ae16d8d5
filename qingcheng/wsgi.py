import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingcheng.settings")
django_application = get_wsgi_application()

from qingcheng.core.middleware import CharsetGuard  # noqa: E402  (needs the settings loaded)

application = CharsetGuard(django_application)
