"""Ed25519 signed codes on credentials, checkable offline with the public key.

A code reads ``ZZXF1.<number>.<YYYYMMDD expiry>.<base64url signature>``: short
enough for a QR image, readable by a desk, and verifiable by a gate that holds
only the published public key.
"""

import base64
import logging
import os
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from flask import current_app

log = logging.getLogger(__name__)

PREFIX = "ZZXF1"
KEY_ENV = "FIREFIGHTER_SIGNING_KEY"
KEY_FILE = "firefighter_signing_key.pem"

_lock = threading.Lock()
_keys: dict[str, Ed25519PrivateKey] = {}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two workers starting together must not both write a key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    log.info("generated the credential signing key at %s", path)
    return key


def private_key() -> Ed25519PrivateKey:
    """The signing key: from FIREFIGHTER_SIGNING_KEY, else the instance folder."""
    plain = os.environ.get(KEY_ENV, "").strip()
    cache_key = plain or current_app.instance_path
    with _lock:
        if cache_key not in _keys:
            if plain:
                _keys[cache_key] = Ed25519PrivateKey.from_private_bytes(_unb64(plain))
            else:
                path = Path(current_app.instance_path) / KEY_FILE
                _keys[cache_key] = _load_or_create(path)
        return _keys[cache_key]


def public_key_bytes() -> bytes:
    """The raw 32-byte public key."""
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def public_key_pem() -> str:
    """The public key as PEM (SubjectPublicKeyInfo)."""
    return (
        private_key()
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


def _message(number: str, expires_on: date) -> str:
    return f"{PREFIX}.{number}.{expires_on:%Y%m%d}"


def sign(number: str, expires_on: date) -> str:
    """The signed code of a credential."""
    message = _message(number, expires_on)
    return f"{message}.{_b64(private_key().sign(message.encode()))}"


@dataclass(frozen=True)
class CodeCheck:
    """What a signed code says, once its signature is checked."""

    valid: bool
    reason: str
    number: str = ""
    expires_on: date | None = None


def verify(code: str, public_key: bytes | None = None) -> CodeCheck:
    """Check a code's signature; works offline given the raw public key."""
    parts = (code or "").strip().split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        return CodeCheck(False, "malformed_code")
    _, number, expiry, signature = parts
    try:
        expires_on = date(int(expiry[:4]), int(expiry[4:6]), int(expiry[6:8]))
        raw_signature = _unb64(signature)
    except ValueError:
        return CodeCheck(False, "malformed_code")
    key = Ed25519PublicKey.from_public_bytes(public_key or public_key_bytes())
    try:
        key.verify(raw_signature, _message(number, expires_on).encode())
    except InvalidSignature:
        return CodeCheck(False, "bad_signature")
    if len(expiry) != 8:
        return CodeCheck(False, "malformed_code")
    return CodeCheck(True, "ok", number, expires_on)
