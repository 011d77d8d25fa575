"""Keyed pseudonymisation of person and professional ids (HMAC-SHA256).

The key comes from the environment variable SERAFIN_PSEUDONYM_KEY, else from a key file
(SERAFIN_PSEUDONYM_KEY_FILE, default ~/.config/serafin/pseudonym.key) created on first use with
32 random bytes (64 hex characters), mode 0600, in a folder created with mode 0700. A key shorter
than 32 bytes, an empty or unreadable key file, or a key folder that cannot be written stops the
run with a sentence saying what to do (KeyProblem). The key never goes into the warehouse; only a
short fingerprint of it does, so a run with another key is detected and re-pseudonymises every file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "SERAFIN_PSEUDONYM_KEY"
KEY_FILE_ENV = "SERAFIN_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/serafin/pseudonym.key")
MIN_KEY_BYTES = 32


class KeyProblem(Exception):
    """The pseudonymisation key cannot be used; the message says what to do, in one sentence."""


def key_file_path() -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def _checked(key: bytes, where: str) -> bytes:
    if not key:
        raise KeyProblem(f"the pseudonymisation key in {where} is empty: put a random secret of at least "
                         f"{MIN_KEY_BYTES} bytes there (or remove the file to have one created)")
    if len(key) < MIN_KEY_BYTES:
        raise KeyProblem(f"the pseudonymisation key in {where} is {len(key)} bytes long, shorter than "
                         f"{MIN_KEY_BYTES}: anyone with the local ids could recompute the pseudonyms; "
                         f"use a random secret of at least {MIN_KEY_BYTES} bytes")
    return key


def load_key() -> bytes:
    """The secret key: from the environment, else from the key file (created if absent)."""
    value = os.environ.get(KEY_ENV)
    if value is not None:
        return _checked(value.strip().encode("utf-8"), f"the environment variable {KEY_ENV}")
    path = key_file_path()
    if not path.exists():
        _create_key_file(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise KeyProblem(f"the pseudonymisation key file {path} cannot be read ({exc.strerror}): give this "
                         f"user read access to it, or point {KEY_FILE_ENV} or {KEY_ENV} elsewhere") from exc
    return _checked(text.strip(), f"the key file {path}")


def _create_key_file(path: Path) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # created meanwhile by another process: use it
            return
    except OSError as exc:
        raise KeyProblem(f"cannot create the pseudonymisation key file {path} ({exc.strerror}): make "
                         f"{path.parent} writable, or set {KEY_FILE_ENV} to a key file in a writable folder "
                         f"(or {KEY_ENV} to the key itself)") from exc
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(MIN_KEY_BYTES))


def key_fingerprint(key: bytes) -> str:
    """A short, non-reversible marker of which key was used (not the key)."""
    return hmac.new(key, b"serafin-key-fingerprint", hashlib.sha256).hexdigest()[:12]


def pseudonymise(key: bytes, person_id: str) -> str:
    """The pseudonym of a local person id: the same id gives the same pseudonym with the same key."""
    digest = hmac.new(key, person_id.strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return "P" + digest[:20]


PROFESSIONAL_PREFIX = "S"  # a professional's pseudonym: `S` (salarié) + the same HMAC as a person id's


def pseudonymise_professional(key: bytes, professional_id: str) -> str:
    """The pseudonym of a professional id (activity `intervenant`, staff, DSN matricule): the same key and HMAC as a
    person id, another prefix, so the DSN's matricule and the activity files' intervenant still meet."""
    return PROFESSIONAL_PREFIX + pseudonymise(key, professional_id)[1:]
