"""Uploaded files: image sniffing for sendPhoto and the file store behind getFile and downloads.

Real Telegram decodes every photo: an empty upload (the classic forgotten ``buf.seek(0)`` after
``savefig``) or bytes that are not an image are refused. The fake reads just enough of PNG, JPEG,
GIF and WebP headers to do the same and to report a width and height in the ``PhotoSize``.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from simulator.telegram.errors import ApiError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """One uploaded file, addressable by ``file_id`` and downloadable at ``file_path``."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    filename: str | None
    width: int = 0
    height: int = 0

    def as_file(self) -> dict[str, object]:
        """The ``File`` object getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }

    def as_photo_sizes(self) -> list[dict[str, object]]:
        """The ``photo`` array of a Message (real Telegram adds smaller thumbnails; one size here)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": len(self.data),
                "width": self.width,
                "height": self.height,
            }
        ]

    def as_document(self) -> dict[str, object]:
        """The ``document`` field of a Message."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.filename or "file",
            "file_size": len(self.data),
        }


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG, GIF or WebP image, or None when the bytes are none of them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return 0, 0  # a valid WebP; its size is not worth decoding here
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        length = struct.unpack(">H", data[index + 2 : index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return (0, 0) if len(data) > 2 else None


class FileStore:
    """Every file the bot uploaded; not thread-safe on its own (the state's lock guards it)."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def add_photo(self, data: bytes, filename: str | None) -> StoredFile:
        """Store an uploaded photo, refusing what Telegram refuses."""
        if not data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(data) > MAX_PHOTO_BYTES:
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        size = image_size(data)
        if size is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        return self._add("photos", data, filename, ".jpg", size)

    def add_document(self, data: bytes, filename: str | None) -> StoredFile:
        """Store an uploaded document (any bytes)."""
        if not data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        suffix = "." + filename.rsplit(".", 1)[1] if filename and "." in filename else ""
        return self._add("documents", data, filename, suffix, (0, 0))

    def _add(
        self, folder: str, data: bytes, filename: str | None, suffix: str, size: tuple[int, int]
    ) -> StoredFile:
        number = len(self._by_id) + 1
        digest = hashlib.sha256(data).hexdigest()
        stored = StoredFile(
            file_id=f"fake-{folder[:-1]}-{number}-{digest[:16]}",
            file_unique_id=f"u{digest[:12]}",
            file_path=f"{folder}/file_{number}{suffix}",
            data=data,
            filename=filename,
            width=size[0],
            height=size[1],
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        """A stored file by id; Telegram's answer for an unknown id otherwise."""
        stored = self._by_id.get(file_id)
        if stored is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return stored

    def by_path(self, file_path: str) -> StoredFile | None:
        """A stored file by its download path (``/file/bot<token>/<file_path>``)."""
        return self._by_path.get(file_path)

    def clear(self) -> None:
        """Forget every file."""
        self._by_id.clear()
        self._by_path.clear()
