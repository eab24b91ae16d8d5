"""URLs for the API tests: the emergency router on a test API that carries the site API's auth and error
handlers (so the tests pass before and after `qingcheng/api.py` mounts it), then the site's own URLs."""

from django.urls import path
from ninja import NinjaAPI

from qingcheng.accounts.auth import api_auth
from qingcheng.api import api as site_api
from qingcheng.emergency.api import router
from qingcheng.urls import urlpatterns as site_urlpatterns

test_api = NinjaAPI(auth=api_auth, urls_namespace="emergency-test-api", version="emergency-test")
test_api._exception_handlers = dict(site_api._exception_handlers)
test_api.add_router("/emergency/", router)
urlpatterns = [path("api/", test_api.urls), *site_urlpatterns]
