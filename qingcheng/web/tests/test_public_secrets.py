"""Secrets stay out of URLs on the public site: the tracking code travels only in POST bodies, and the
photos of a report load by plain URLs thanks to a short grant in the session. Every URL the flow
requests or renders (links, form actions, image sources) is checked for the secret."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from qingcheng.cases.models import Case
from qingcheng.cases.services import case_public_photo_sweep
from qingcheng.testing import jpeg_bytes

pytestmark = pytest.mark.django_db

URL_ATTRIBUTE = re.compile(r'\b(?:href|src|action|data-url)="([^"]*)"')


def urls_in(html: str) -> list[str]:
    return URL_ATTRIBUTE.findall(html)


class Recording:
    """A test client that remembers every path and query string it requested."""

    def __init__(self) -> None:
        self.client = Client()
        self.requested: list[str] = []

    def get(self, url, data=None, **kwargs):
        response = self.client.get(url, data, **kwargs)
        self.requested.append(response.wsgi_request.get_full_path())
        return response

    def post(self, url, data=None, **kwargs):
        response = self.client.post(url, data, **kwargs)
        self.requested.append(response.wsgi_request.get_full_path())
        return response


@pytest.fixture
def reported(loop, settings, tmp_path):
    """A report made on the public site with a photo, its public copy made: (browser, number, secret)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    browser = Recording()
    browser.get("/public/report/")
    lon, lat = loop["point"]
    page = browser.post(
        "/public/report/",
        {
            "lon": lon,
            "lat": lat,
            "description": "井盖不见了",
            "key": "k-secrets-1",
            "category_code": "E0102",
            "photos": [SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")],
        },
    )
    assert page.status_code == 200, page.content.decode()
    number, secret = page.context["number"], page.context["secret"]
    assert case_public_photo_sweep() == 1
    return browser, number, secret, page


def test_the_tracking_flow_never_puts_the_secret_in_a_url(reported):
    browser, number, secret, page = reported
    html = page.content.decode()
    assert secret in html  # shown once, as text
    assert not [u for u in urls_in(html) if secret in u]
    follow = re.search(r'<form method="post" action="([^"]+)" id="follow-form">', html)
    assert follow, "the 'Follow it now' button posts the codes"
    shown = browser.post(follow.group(1), {"number": number, "secret": secret})
    assert shown.status_code == 200 and shown.context["view"]["number"] == number
    html = shown.content.decode()
    photos = [u for u in urls_in(html) if "/public/photos/" in u]
    assert len(photos) == 1 and not [u for u in urls_in(html) if secret in u]
    image = browser.get(photos[0])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image["Cache-Control"].startswith("private")
    assert browser.requested and not [u for u in browser.requested if secret in u]


def test_photos_load_only_with_the_grant_of_who_showed_the_secret(reported):
    browser, number, secret, _ = reported
    shown = browser.post("/public/track/", {"number": number, "secret": secret})
    photo_url = next(u for u in urls_in(shown.content.decode()) if "/public/photos/" in u)
    assert browser.get(photo_url).status_code == 200
    stranger = Client()
    unknown = stranger.get("/public/photos/209901010000001/1/")
    assert stranger.get(photo_url).status_code == unknown.status_code == 404
    # The secret in the query string is not read, even when right.
    assert stranger.get(photo_url, {"secret": secret}).status_code == 404
    assert stranger.get(photo_url).content == unknown.content  # like an unknown number


def test_tracking_is_a_post_and_a_secret_in_the_query_is_not_read(reported, client):
    _, number, secret, _ = reported
    page = client.get("/public/track/", {"number": number, "secret": secret})
    assert page.status_code == 200 and "view" not in page.context  # the form, not the case
    assert f'value="{number}"' in page.content.decode()
    home = client.get("/public/").content.decode()
    form = re.search(r'<form method="(\w+)" action="/public/track/"', home)
    assert form and form.group(1) == "post" and "csrfmiddlewaretoken" in home
    # A wrong secret answers like an unknown number.
    wrong = client.post(
        "/public/track/", {"number": number, "secret": secret[:-1] + ("x" if secret[-1] != "x" else "y")}
    )
    unknown = client.post("/public/track/", {"number": "209901010000001", "secret": secret})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.context["error"].code == unknown.context["error"].code
    right = client.post("/public/track/", {"number": number, "secret": secret})
    assert right.status_code == 200 and right.context["view"]["number"] == number
    assert Case.objects.get(number=number).status == Case.Status.REPORTED


def test_the_rating_form_posts_its_secret(reported, loop):
    from qingcheng.cases.services import PhotoUpload
    from qingcheng.testing import drive_to_closed

    browser, number, secret, _ = reported

    def photo(kind):
        return PhotoUpload(data=jpeg_bytes(colour=(9, 9, 9)), kind=kind, name=f"{kind}.jpg")

    drive_to_closed(Case.objects.get(number=number), loop["users"], photo)
    html = browser.post("/public/track/", {"number": number, "secret": secret}).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="rate-form">', html)
    assert form and secret not in form.group(1)
    rated = browser.post(form.group(1), {"number": number, "secret": secret, "score": "5"})
    assert rated.status_code == 200 and rated.context["rated"] is True
    assert not [u for u in browser.requested if secret in u]
