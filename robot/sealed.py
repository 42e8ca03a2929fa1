"""Sealing text with a key: authenticated encryption of values a shared store must not hold.

A ``Sealer`` derives its own key from a shared secret (HKDF-SHA256 with a caller's ``purpose``,
so one secret gives independent keys for independent uses) and seals text with AES-256-GCM
(``cryptography``): ``seal(text) -> "sealed:v1:<base64 of nonce and ciphertext>"``. Each value
is bound to a ``label`` (the column it is stored in, as associated data), so a sealed value
moved to another column does not open. Text without the ``sealed:`` prefix is returned as it is
by ``open``: values written before sealing stay readable.

A value sealed under another secret, or altered, raises ``Unsealable``: it never opens to
something else.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

PREFIX = "sealed:v1:"
_NONCE_BYTES = 12


class Unsealable(ValueError):
    """A sealed value that does not open with this key (another key, or altered)."""


def is_sealed(text: str | None) -> bool:
    return text is not None and text.startswith("sealed:")


class Sealer:
    """Seals and opens text under a key derived from ``secret`` for ``purpose``."""

    def __init__(self, secret: SecretStr, *, purpose: bytes) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            secret.get_secret_value().encode("utf-8")
        )
        self._aead = AESGCM(derived)

    def seal(self, text: str, *, label: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), label.encode("utf-8"))
        return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, text: str, *, label: str) -> str:
        """The clear text of a sealed value; any other text as it is."""
        if not is_sealed(text):
            return text
        if not text.startswith(PREFIX):
            raise Unsealable("sealed by an unknown version")
        try:
            raw = base64.b64decode(text[len(PREFIX) :], validate=True)
            clear = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], label.encode())
        except (InvalidTag, ValueError) as exc:
            raise Unsealable("does not open with this key") from exc
        return clear.decode("utf-8")
