"""Idempotency keys: key length, the request fingerprint, the client binding and the replay race."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import IntegrityError

from qingcheng.accounts.models import Department
from qingcheng.core.errors import Conflict, ValidationFailed
from qingcheng.core.idempotency import (
    MAX_KEY_LENGTH,
    check_key,
    check_replay,
    client_hash,
    once,
    request_hash,
)


def test_no_key_an_empty_key_and_a_long_key():
    assert check_key(None) is None
    assert check_key("") is None
    assert check_key("k" * MAX_KEY_LENGTH) == "k" * MAX_KEY_LENGTH
    with pytest.raises(ValidationFailed) as refused:
        check_key("k" * (MAX_KEY_LENGTH + 1))
    assert (refused.value.code, refused.value.status) == ("idempotency_key_invalid", 400)


def test_the_fingerprint_ignores_key_order_and_covers_every_file():
    payload = {"lon": 111.7, "lat": 40.8, "description": "井盖缺失"}
    assert request_hash(payload) == request_hash(dict(reversed(payload.items())))
    # Without files it is the plain hash of the JSON, as the hotline has always stored it.
    plain = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    assert request_hash(payload) == plain
    with_photo = request_hash(payload, [b"jpeg-1"])
    assert with_photo != plain
    assert request_hash(payload, [b"jpeg-2"]) != with_photo
    assert request_hash(payload, iter([b"jpeg-1"])) == with_photo


def test_client_hash_tells_users_from_tokens():
    assert client_hash("user", 7) == hashlib.sha256(b"user:7").hexdigest()
    assert client_hash("user", 7) != client_hash("token", 7)


def test_replay_with_the_same_body_and_client_passes():
    check_replay(stored_hash="h", request_hash="h", stored_client="c", client="c")
    check_replay(stored_hash="h", request_hash="h")


def test_another_body_is_a_409():
    with pytest.raises(Conflict) as refused:
        check_replay(stored_hash="h1", request_hash="h2")
    assert (refused.value.code, refused.value.status) == ("idempotency_key_reused", 409)


def test_another_client_is_a_409_checked_before_the_body():
    with pytest.raises(Conflict) as refused:
        check_replay(stored_hash="h1", request_hash="h2", stored_client="c1", client="c2")
    assert refused.value.code == "idempotency_key_other_client"


@pytest.mark.django_db
def test_once_replays_creates_and_answers_as_the_winner_of_a_race():
    assert (
        once(replay=lambda: "first answer", create=lambda: pytest.fail("must not create")) == "first answer"
    )
    assert once(replay=lambda: None, create=lambda: "created") == "created"

    answers = iter([None, "the winner's answer"])

    def lose_the_race():
        Department.objects.create(code="race", name="a", kind="street")
        Department.objects.create(code="race", name="b", kind="street")

    assert once(replay=lambda: next(answers), create=lose_the_race) == "the winner's answer"
    # The losing savepoint was rolled back.
    assert not Department.objects.filter(code="race").exists()


@pytest.mark.django_db
def test_once_raises_an_integrity_error_that_is_no_race():
    def duplicate():
        Department.objects.create(code="dup", name="a", kind="street")
        Department.objects.create(code="dup", name="b", kind="street")

    with pytest.raises(IntegrityError):
        once(replay=lambda: None, create=duplicate)
