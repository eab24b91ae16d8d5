"""Short-lived grants in the visitor's session, so secrets stay out of URLs.

A public page opened with a secret (a report's tracking code, the link a party of a non-site record
received) checks it on a POST and then records a grant in the session; the files that page loads
(photos, evidence) are fetched by plain URLs and find the grant, instead of carrying the secret in a
query string that reaches access logs, browser history and Referer headers.

A grant holds no secret: only an HMAC of the secret's stored hash (its "proof"). The proof is checked
against the record's current hash on each use, so a replaced secret (a new link sent to a party)
revokes the grants made with the old one.
"""

from __future__ import annotations

import hmac
import time

from django.http import HttpRequest
from django.utils.crypto import salted_hmac

SESSION_KEY = "qc_grants"
DEFAULT_SECONDS = 30 * 60
MAX_GRANTS = 20


def proof_of(secret_hash: str) -> str:
    """The proof of a secret whose SHA-256 (as stored on its record) is `secret_hash`."""
    return salted_hmac("qingcheng.core.grants", secret_hash).hexdigest()


def proof_matches(proof: str, secret_hash: str) -> bool:
    return bool(proof and secret_hash) and hmac.compare_digest(proof, proof_of(secret_hash))


def grant_add(
    request: HttpRequest, *, kind: str, ident: str, secret_hash: str, seconds: int = DEFAULT_SECONDS
) -> None:
    """Remember, for `seconds`, that this visitor showed the secret of record `ident` of `kind`."""
    now = time.time()
    grants = {
        k: v
        for k, v in (request.session.get(SESSION_KEY) or {}).items()
        if isinstance(v, list) and len(v) == 2 and v[1] > now
    }
    grants[f"{kind}:{ident}"] = [proof_of(secret_hash), now + seconds]
    # The newest few only: a session is no store of everything a visitor ever opened.
    newest = sorted(grants.items(), key=lambda item: item[1][1])[-MAX_GRANTS:]
    request.session[SESSION_KEY] = dict(newest)


def grant_proof(request: HttpRequest, *, kind: str, ident: str) -> str:
    """The proof this visitor holds for the record, or '' (none, or expired)."""
    grants = request.session.get(SESSION_KEY) or {}
    entry = grants.get(f"{kind}:{ident}")
    if not isinstance(entry, list) or len(entry) != 2 or entry[1] <= time.time():
        return ""
    return str(entry[0])
