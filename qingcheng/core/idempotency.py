"""Idempotency keys (幂等键): a client that retries a request with the same `Idempotency-Key` gets the
first answer again instead of a second record.

The rules every channel follows: a key is at most 100 characters (else 400 `idempotency_key_invalid`);
the request is fingerprinted by a hash of everything the client sent (`request_hash`); a key seen
before answers with what it made, unless the body differs (409 `idempotency_key_reused`) or, where
many clients share one scope (anonymous public reports), another client sent it (409
`idempotency_key_other_client`, checked first so a stranger learns nothing about the first request).
Where the key is stored is the app's business (`cases.IdempotencyRecord`, `intake.HotlineOrder`); the
unique constraint on it is what makes two concurrent first requests end with one record (`once`)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

from .errors import Conflict, ValidationFailed

MAX_KEY_LENGTH = 100

T = TypeVar("T")


def check_key(key: str | None) -> str | None:
    """The key to use, or None when the client sent none (an empty header counts as none)."""
    if key is None or key == "":
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            "Idempotency-Key 过长", "Idempotency-Key is too long", code="idempotency_key_invalid"
        )
    return key


def request_hash(payload: dict[str, Any], blobs: Iterable[bytes] = ()) -> str:
    """SHA-256 of the payload (keys sorted, values as text) and of each uploaded file's SHA-256."""
    material = json.dumps(payload, sort_keys=True, default=str) + "".join(
        hashlib.sha256(blob).hexdigest() for blob in blobs
    )
    return hashlib.sha256(material.encode()).hexdigest()


def client_hash(kind: str, identity: Any) -> str:
    """Who sent a key, as stored beside it: a hash of e.g. ("user", pk) or ("token", browser token)."""
    return hashlib.sha256(f"{kind}:{identity}".encode()).hexdigest()


def check_replay(*, stored_hash: str, request_hash: str, stored_client: str = "", client: str = "") -> None:
    """Refuse to answer a replayed key with the first result when the client or the body differs."""
    if not hmac.compare_digest(stored_client, client):
        raise Conflict(
            "idempotency_key_other_client",
            "该 Idempotency-Key 已被其他客户端使用，请换一个",
            "this Idempotency-Key was used by another client; use a new one",
        )
    if stored_hash != request_hash:
        raise Conflict(
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于另一个不同的请求",
            "this Idempotency-Key was already used for a different request",
        )


def once(*, replay: Callable[[], T | None], create: Callable[[], T]) -> T:
    """The first answer when `replay` finds one, else `create` in a savepoint. When a concurrent request
    with the same key wins the race (the key's unique constraint fails here), its answer; any other
    IntegrityError is raised."""
    found = replay()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        found = replay()
        if found is None:
            raise
        return found
