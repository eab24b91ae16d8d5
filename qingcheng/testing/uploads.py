"""Request bodies for tests (上传): a multipart body made on demand, and a way to send it through the
whole middleware stack while counting how much of it the server read."""

from __future__ import annotations

from typing import Any

JPEG_START = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
# Sent as the CSRF cookie and as the form's first field, so a page's CSRF check passes as a browser's would.
CSRF_TOKEN = "QingchengTestCsrfToken0123456789"


class StreamedMultipart:
    """A multipart/form-data body of form fields and file parts whose content is produced only as it is
    read (zero bytes after a JPEG signature), so a test can declare hundreds of megabytes without making
    them. `bytes_read` counts what the server took."""

    boundary = "qingcheng-test-boundary-7d1f"

    def __init__(self, fields: dict[str, str], files: list[tuple[str, str, int]]) -> None:
        self.parts: list[tuple[bytes, int]] = []  # (bytes before the content, content size)
        head = b""
        for name, value in {"csrfmiddlewaretoken": CSRF_TOKEN, **fields}.items():
            head += (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
        for field, filename, size in files:
            head += (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
            ).encode()
            self.parts.append((head, size))
            head = b"\r\n"
        self.tail = head + f"--{self.boundary}--\r\n".encode()
        self.length = sum(len(h) + size for h, size in self.parts) + len(self.tail)
        self.bytes_read = 0
        self._segments = self._produce()
        self._buffer = b""

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _produce(self):
        for head, size in self.parts:
            yield head
            content = JPEG_START[:size]
            yield content
            left = size - len(content)
            while left > 0:
                step = min(left, 1 << 20)
                yield bytes(step)
                left -= step
        yield self.tail

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            segment = next(self._segments, None)
            if segment is None:
                break
            self._buffer += segment
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        self.bytes_read += len(out)
        return out

    def readline(self, size: int = -1) -> bytes:  # the WSGI input interface; multipart never calls it
        return self.read(size)


def post_streamed(
    path: str,
    body: Any,
    *,
    content_length: int | None = None,
    client: Any = None,
    query: str = "",
    extra: dict[str, str] | None = None,
):
    """POST `body` (anything with read()) to `path` through Django's request handler and every
    middleware, CSRF checks on (the body carries the token). Cookies of a logged-in test `client` go
    along."""
    from django.test import Client
    from django.test.client import ClientHandler

    environ = Client()._base_environ(
        PATH_INFO=path,
        QUERY_STRING=query,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=body.content_type,
        CONTENT_LENGTH=str(body.length if content_length is None else content_length),
        **{"wsgi.input": body},
        **(extra or {}),
    )
    cookies = {"csrftoken": CSRF_TOKEN}
    if client is not None:
        cookies.update({name: c.value for name, c in client.cookies.items()})
    environ["HTTP_COOKIE"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return ClientHandler(enforce_csrf_checks=True)(environ)
