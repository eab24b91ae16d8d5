"""The client's address: the forwarding header counts only from trusted proxies, read right to left."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import RequestFactory

from qingcheng.core.http import client_address

factory = RequestFactory()


def _address(remote: str, forwarded: str | None = None, header: str = "HTTP_X_FORWARDED_FOR") -> str:
    extra = {header: forwarded} if forwarded is not None else {}
    return client_address(factory.get("/", REMOTE_ADDR=remote, **extra))


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        # No trusted proxy configured: the header is never read.
        ([], "10.0.0.1", "198.51.100.7", "10.0.0.1"),
        # A client that is not a trusted proxy cannot choose its address.
        (["10.0.0.1"], "203.0.113.9", "198.51.100.7", "203.0.113.9"),
        # One trusted proxy: the hop it saw.
        (["10.0.0.1"], "10.0.0.1", "198.51.100.7", "198.51.100.7"),
        # What the client wrote to the left of its own address is ignored.
        (["10.0.0.1"], "10.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # A chain of trusted proxies (a network) is walked past.
        (["10.0.0.0/24"], "10.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.3, 10.0.0.2", "198.51.100.7"),
        # Only trusted hops: the leftmost of them.
        (["10.0.0.0/24"], "10.0.0.1", "10.0.0.9, 10.0.0.2", "10.0.0.9"),
        # Garbage stops the walk at the last hop that was still believable.
        (["10.0.0.0/24"], "10.0.0.1", "198.51.100.7, not-an-ip, 10.0.0.2", "10.0.0.2"),
        # A trusted proxy that sent no header: itself.
        (["10.0.0.1"], "10.0.0.1", None, "10.0.0.1"),
        # Ports, brackets and IPv4-mapped IPv6 are read as the address they carry.
        (["10.0.0.1"], "10.0.0.1", "198.51.100.7:4711", "198.51.100.7"),
        (["10.0.0.1"], "10.0.0.1", "[2001:db8::7]:443", "2001:db8::7"),
        (["2001:db8:ffff::/48"], "2001:db8:ffff::1", "2001:db8::7", "2001:db8::7"),
        (["10.0.0.1"], "::ffff:10.0.0.1", "198.51.100.7", "198.51.100.7"),
    ],
)
def test_client_address(settings, trusted, remote, forwarded, expected):
    settings.QINGCHENG_TRUSTED_PROXIES = trusted
    assert _address(remote, forwarded) == expected


def test_the_header_can_be_another_one(settings):
    settings.QINGCHENG_TRUSTED_PROXIES = ["10.0.0.1"]
    settings.QINGCHENG_CLIENT_ADDRESS_HEADER = "X-Real-IP"
    assert _address("10.0.0.1", "198.51.100.7", header="HTTP_X_REAL_IP") == "198.51.100.7"
    assert _address("10.0.0.1", "198.51.100.7") == "10.0.0.1"  # X-Forwarded-For is not read now


def test_a_malformed_trusted_proxy_is_a_start_up_error(settings):
    settings.QINGCHENG_TRUSTED_PROXIES = ["10.0.0.0/24", "proxy.example"]
    assert "qingcheng.E002" in {message.id for message in run_checks()}
    settings.QINGCHENG_TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert "qingcheng.E002" not in {message.id for message in run_checks()}
