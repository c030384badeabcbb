"""Personal data at rest (SECURITY.md #21): sensitive columns sealed with AES-256-GCM, and a
keyed hash (HMAC-SHA256) for the lookups and uniqueness a sealed value can no longer serve.

Keys live outside the database: ``DATA_KEYS`` (``kid:base64key,kid:base64key``; the first
seals, every one opens) and ``LOOKUP_KEY`` (base64), from the environment or instance config.
Unset, both are derived from ``SECRET_KEY`` (key id ``k0``), which is itself outside the
database and outside git. A sealed value reads ``enc1:<kid>:<base64url(nonce | ciphertext)>``;
the purpose (the column) is bound in as associated data, so a value cannot be moved to
another column. ``flask --app wsgi tracker rotate-keys`` re-seals, in batches, every value
not sealed with the first key; it can stop and resume at any time.

Uploaded files are sealed on disk with the same keys (:class:`SealedFileWriter`,
:func:`open_file`): libsodium's secretstream (XChaCha20-Poly1305, through PyNaCl) in 64 KiB
chunks, so a file is never held whole in memory, a changed, reordered or cut-short file does
not open, and the last chunk is marked final. A sealed file starts with ``TBS1``, its key id
and a random salt; its key is HMAC-SHA256(data key, salt), so no two files share a key.

No Flask here: ``create_app`` calls :func:`configure` with the app's settings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nacl import bindings as sodium
from nacl.exceptions import CryptoError

PREFIX = "enc1"
NONCE_BYTES = 12


class KeyError_(ValueError):  # noqa: N801 - not the builtin KeyError
    """A sealed value names a key this instance does not hold, or does not open."""


@dataclass(frozen=True)
class Keyring:
    keys: Mapping[str, bytes]  # key id -> 32 bytes
    current: str
    lookup_key: bytes


_ring: Keyring | None = None


def _derived(secret: str, label: bytes) -> bytes:
    return hmac.new(secret.encode(), label, hashlib.sha256).digest()


def keyring_from(settings: Mapping[str, Any]) -> Keyring:
    """The keys named by ``DATA_KEYS`` / ``LOOKUP_KEY``, or derived from ``SECRET_KEY``."""
    secret = str(settings.get("SECRET_KEY") or "")
    raw = str(settings.get("DATA_KEYS") or "").strip()
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in filter(None, (p.strip() for p in raw.split(","))):
        kid, _, b64 = item.partition(":")
        try:
            key = base64.b64decode(b64, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"DATA_KEYS: key {kid!r} is not base64") from exc
        if not kid.isalnum() or len(key) != 32:
            raise ValueError(f"DATA_KEYS: {kid!r} needs an alphanumeric id and a 32-byte key")
        keys[kid] = key
        order.append(kid)
    if not keys:
        if not secret:
            raise ValueError("no DATA_KEYS and no SECRET_KEY to derive a data key from")
        keys["k0"] = _derived(secret, b"tongban data key k0")
        order.append("k0")
    lookup_raw = str(settings.get("LOOKUP_KEY") or "").strip()
    lookup = base64.b64decode(lookup_raw) if lookup_raw else _derived(secret, b"tongban lookup key")
    return Keyring(keys, order[0], lookup)


def configure(settings: Mapping[str, Any]) -> None:
    global _ring
    _ring = keyring_from(settings)


def ring() -> Keyring:
    if _ring is None:
        raise RuntimeError("crypto: no keys configured (create_app calls crypto.configure)")
    return _ring


def new_key() -> str:
    """A fresh key, base64, for DATA_KEYS or LOOKUP_KEY."""
    return base64.b64encode(os.urandom(32)).decode()


def seal(text: str, purpose: str) -> str:
    r = ring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(r.keys[r.current]).encrypt(nonce, text.encode(), purpose.encode())
    return f"{PREFIX}:{r.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX + ":")


def key_id(value: str) -> str | None:
    parts = value.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def open_(value: str, purpose: str) -> str:
    """The text of a sealed value (a value that was never sealed is returned as it is: rows
    written before the migration that sealed them, read by that migration)."""
    if not is_sealed(value):
        return value
    _, kid, b64 = value.split(":", 2)
    key = ring().keys.get(kid)
    if key is None:
        raise KeyError_(f"sealed with key {kid!r}, which is not in DATA_KEYS")
    blob = base64.urlsafe_b64decode(b64)
    try:
        plain = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], purpose.encode())
    except Exception as exc:  # cryptography's InvalidTag
        raise KeyError_(f"a value sealed with key {kid!r} does not open") from exc
    return plain.decode()


def lookup(value: str) -> str:
    """The keyed hash that finds and keeps unique a sealed value (hex)."""
    return hmac.new(ring().lookup_key, value.encode(), hashlib.sha256).hexdigest()


# ---- files -------------------------------------------------------------------------------

FILE_MAGIC = b"TBS1"
FILE_CHUNK = 64 * 1024
_SALT = 16
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_HEADER = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def _file_key(key: bytes, salt: bytes) -> bytes:
    return hmac.new(key, b"tongban sealed file" + salt, hashlib.sha256).digest()


class SealedFileWriter:
    """Write a file sealed with the current data key: ``write`` as often as needed, then
    ``close`` (or leave the ``with`` block) to seal the last chunk. Plaintext is buffered up
    to one chunk."""

    def __init__(self, out: BinaryIO) -> None:
        r = ring()
        kid = r.current.encode()
        salt = os.urandom(_SALT)
        self._out = out
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(
            self._state, _file_key(r.keys[r.current], salt)
        )
        out.write(FILE_MAGIC + bytes([len(kid)]) + kid + salt + header)
        self._pending = b""
        self._closed = False

    def write(self, data: bytes) -> None:
        self._pending += data
        # Keep at least one byte back: the last chunk is sealed as final by close().
        while len(self._pending) > FILE_CHUNK:
            chunk, self._pending = self._pending[:FILE_CHUNK], self._pending[FILE_CHUNK:]
            self._out.write(
                sodium.crypto_secretstream_xchacha20poly1305_push(
                    self._state, chunk, None, _TAG_MESSAGE
                )
            )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._out.write(
            sodium.crypto_secretstream_xchacha20poly1305_push(
                self._state, self._pending, None, _TAG_FINAL
            )
        )
        self._pending = b""

    def __enter__(self) -> SealedFileWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()


def file_key_id(source: BinaryIO) -> str | None:
    """The key id a sealed file names (reads its first bytes), or None for a plain file."""
    head = source.read(len(FILE_MAGIC) + 1)
    if len(head) < len(FILE_MAGIC) + 1 or head[: len(FILE_MAGIC)] != FILE_MAGIC:
        return None
    return source.read(head[-1]).decode("ascii", "replace")


def open_file(source: BinaryIO) -> Iterator[bytes]:
    """The clear chunks of a sealed file, read from the start of ``source``. Raises
    ``KeyError_`` for a file that is not sealed, names a key not held, or was changed or cut
    short (the error comes at the chunk where it is found)."""
    kid = file_key_id(source)
    if kid is None:
        raise KeyError_("not a sealed file")
    key = ring().keys.get(kid)
    if key is None:
        raise KeyError_(f"file sealed with key {kid!r}, which is not in DATA_KEYS")
    salt, header = source.read(_SALT), source.read(_HEADER)
    if len(salt) != _SALT or len(header) != _HEADER:
        raise KeyError_("a sealed file cut short")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, _file_key(key, salt))
    while True:
        chunk = source.read(FILE_CHUNK + _ABYTES)
        if not chunk:
            raise KeyError_("a sealed file cut short")
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk, None)
        except CryptoError as exc:
            raise KeyError_(f"a file sealed with key {kid!r} does not open") from exc
        if tag == _TAG_FINAL:
            if source.read(1):
                raise KeyError_("bytes after the end of a sealed file")
            yield plain
            return
        yield plain
