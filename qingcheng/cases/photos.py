"""Case photos: checked by content, stored by SHA-256 outside the web root, public copies without GPS.

Intake only validates and stores the original; the public copy (EXIF orientation applied, every
metadata block dropped) and the thumbnail are made by a job afterwards, so a field upload stays fast.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from qingcheng.core.errors import ValidationFailed

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    sha256: str
    content_type: str
    extension: str
    width: int
    height: int


def check_photo(data: bytes, *, name: str = "") -> CheckedPhoto:
    """Accept JPEG, PNG or WebP by their content (never by file name) within the size and pixel limits."""
    label = name[:60] or "photo"
    max_bytes = settings.CASE_PHOTO_MAX_BYTES
    if not data:
        raise ValidationFailed(f"照片 {label} 为空", f"photo {label} is empty", code="photo_empty")
    if len(data) > max_bytes:
        raise ValidationFailed(
            f"照片 {label} 超过 {max_bytes // 2**20} MB",
            f"photo {label} is larger than {max_bytes // 2**20} MB",
            code="photo_too_large",
            status=413,
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            width, height = image.size
            if width * height > settings.CASE_PHOTO_MAX_PIXELS:
                raise ValidationFailed(
                    f"照片 {label} 像素过多（{width}×{height}）",
                    f"photo {label} has too many pixels ({width}×{height})",
                    code="photo_too_many_pixels",
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationFailed(
            f"照片 {label} 不是有效的 JPEG/PNG/WebP 图像",
            f"photo {label} is not a valid JPEG, PNG or WebP image",
            code="photo_invalid",
        ) from exc
    if fmt not in ALLOWED_FORMATS:
        raise ValidationFailed(
            f"照片 {label} 的格式 {fmt} 不被接受（仅限 JPEG/PNG/WebP）",
            f"photo {label} is {fmt}; only JPEG, PNG and WebP are accepted",
            code="photo_type",
        )
    return CheckedPhoto(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=ALLOWED_FORMATS[fmt],
        extension=EXTENSIONS[fmt],
        width=width,
        height=height,
    )


def photo_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "case-photos"


def store_original(photo: CheckedPhoto) -> str:
    """Write the bytes under their hash (idempotent) and return the path relative to MEDIA_ROOT."""
    relative = Path("case-photos") / photo.sha256[:2] / f"{photo.sha256}.{photo.extension}"
    target = Path(settings.MEDIA_ROOT) / relative
    if not target.exists():
        _write_atomically(target, photo.data)
    return str(relative)


def _write_atomically(target: Path, data: bytes) -> None:
    """Write through a temporary file of this writer's own, then rename: concurrent uploads of the same
    photo (a retried request) each rename a complete file onto the same name, and readers never see half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def make_public_copy(storage_path: str) -> str:
    """A copy with the EXIF orientation applied and no metadata (no GPS), as JPEG."""
    source = Path(settings.MEDIA_ROOT) / storage_path
    relative = Path("case-photos-public") / Path(storage_path).name.rsplit(".", 1)[0]
    relative = relative.with_suffix(".jpg")
    target = Path(settings.MEDIA_ROOT) / relative
    if not target.exists():
        with Image.open(source) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
            buffer = io.BytesIO()
            # Saving without exif= drops every metadata block, GPS included.
            upright.save(buffer, format="JPEG", quality=85)
        _write_atomically(target, buffer.getvalue())
    return str(relative)
