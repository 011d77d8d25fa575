"""Keyed pseudonymisation of person ids (HMAC-SHA256).

The key comes from the environment variable SERAFIN_PSEUDONYM_KEY, else from a key file
(SERAFIN_PSEUDONYM_KEY_FILE, default ~/.config/serafin/pseudonym.key) created on first use with
32 random bytes and mode 0600. The key never goes into the warehouse; only a short fingerprint
of it does, so a run with another key is detected and re-pseudonymises every file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "SERAFIN_PSEUDONYM_KEY"
KEY_FILE_ENV = "SERAFIN_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path.home() / ".config" / "serafin" / "pseudonym.key"


def key_file_path() -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def load_key() -> bytes:
    """The secret key: from the environment, else from the key file (created if absent)."""
    value = os.environ.get(KEY_ENV)
    if value:
        return value.encode("utf-8")
    path = key_file_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


def key_fingerprint(key: bytes) -> str:
    """A short, non-reversible marker of which key was used (not the key)."""
    return hmac.new(key, b"serafin-key-fingerprint", hashlib.sha256).hexdigest()[:12]


def pseudonymise(key: bytes, person_id: str) -> str:
    """The pseudonym of a local person id: the same id gives the same pseudonym with the same key."""
    digest = hmac.new(key, person_id.strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return "P" + digest[:20]
