"""Test support shared by every app's tests: record factories (`factories`), the pytest fixtures the root
conftest loads as a plugin (`fixtures`), request bodies streamed through the middleware (`uploads`), the
browser tests' login, XSS payloads and hostile city (`browser`), and small helpers such as `jpeg_bytes`.
Nothing outside tests imports this package (an import-linter contract checks it)."""

from __future__ import annotations

import io


def jpeg_bytes(size=(64, 48), colour=(200, 80, 40)) -> bytes:
    """A small real JPEG (照片), for uploads that must pass the photo checks."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def drive_to_closed(case, users, photo):
    """Take a reported case round the loop to 结案 through the real services; `users` is the `loop`
    fixture's users by role and `photo` the `photo` fixture. Returns the closed case."""
    from qingcheng.cases.services import case_act

    steps = [
        ("receiver", "open", {}, None),
        ("dispatcher", "dispatch", {}, None),
        ("handler", "accept", {}, None),
        ("handler", "feedback", {}, [photo("after")]),
        ("receiver", "send_check", {}, None),
        ("supervisor", "check", {"passed": True}, None),
        ("shift_leader", "close", {}, None),
    ]
    for role, action, data, photos in steps:
        case = case_act(case_id=case.pk, actor=users[role], action=action, data=data, photos=photos)
    return case
