"""Bearer tokens, their holders' names and roles: ``operator`` triggers and views, ``engineer`` does everything.

Tokens come from ``OPENINSPECT_TOKENS`` (JSON ``{token: {"name": ..., "role": ...}}``, or ``{token: role}`` for a
token named after its role); the name is who the audit trail and recipe revisions say made a change. A station
bound to a loopback address with no tokens configured makes one engineer token at first start, shows it once and
keeps only its SHA-256 hash, as ``sha256:<hex>`` in ``<home>/station-token`` (mode 0600); later starts accept the
token by that hash. A file in the plain-text form of earlier versions is rewritten as the hash; a file others may
read is made 0600, with a warning. A station reachable from the network refuses to start without configured tokens.
Every token is held as its hash and compared in constant time.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from openinspect.errors import OpenInspectError
from openinspect.server.errors import ApiError, ErrorType
from openinspect.settings import Role, Settings, TokenOwner
from openinspect.store.files import write_atomic

log = logging.getLogger(__name__)

TOKEN_FILE = "station-token"
"""The generated engineer token's file in the workspace: its hash, ``sha256:<hex>``."""
_HASHED = "sha256:"
_RANK = {Role.OPERATOR: 0, Role.ENGINEER: 1}


@dataclass(frozen=True)
class TokenSet:
    """The tokens a station accepts, each held as its SHA-256 digest."""

    owners: dict[bytes, TokenOwner]
    """Each token's digest, and who holds the token."""
    generated: str | None = None
    """The engineer token made at this start, if one was: shown once, never stored."""
    token_file: Path | None = None
    """Where the generated engineer token's hash is kept, when the station uses one."""

    @classmethod
    def of(cls, tokens: Mapping[str, TokenOwner], generated: str | None = None,
           token_file: Path | None = None) -> TokenSet:
        """The set of ``tokens`` (token: holder), held as their digests."""
        return cls({_digest(token): owner for token, owner in tokens.items()}, generated, token_file)

    def owner(self, authorization: str | None, query_token: str | None = None) -> TokenOwner:
        """Who holds a request's ``Authorization: Bearer`` token (or WebSocket ``token`` query parameter).

        Raises:
            ApiError: 401 without a known token.
        """
        token = query_token
        if authorization is not None:
            scheme, _, value = authorization.partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else None
        if token:
            presented = _digest(token)
            for known, owner in self.owners.items():
                if secrets.compare_digest(known, presented):
                    return owner
        raise ApiError(401, ErrorType.UNAUTHORIZED, "send a station token: `Authorization: Bearer <token>` "
                                                    "(see OPENINSPECT_TOKENS, or the engineer token `openinspect "
                                                    "serve` printed at its first start)")

    @staticmethod
    def check(role: Role, needed: Role) -> None:
        """Refuse a role below what an endpoint needs.

        Raises:
            ApiError: 403.
        """
        if _RANK[role] < _RANK[needed]:
            raise ApiError(403, ErrorType.FORBIDDEN, f"this needs the {needed.value} role; the token is {role.value}")


def load_tokens(settings: Settings) -> TokenSet:
    """The configured tokens, or on a loopback address the workspace's generated engineer token.

    Raises:
        OpenInspectError: no tokens configured and the station binds a non-loopback address, or the token file
            holds no hash.
    """
    if settings.tokens:
        return TokenSet.of(settings.tokens)
    if not _loopback(settings.host):
        raise OpenInspectError(f"the station binds {settings.host}, reachable from the network: set "
                               f"OPENINSPECT_TOKENS, e.g. '{{\"<long random token>\": {{\"name\": \"alice\", \"role\": "
                               f"\"engineer\"}}}}'")
    path = settings.home / TOKEN_FILE
    engineer = TokenOwner(name=Role.ENGINEER.value, role=Role.ENGINEER)
    stored = _read(path)
    if stored is None:
        token = secrets.token_urlsafe(24)
        _keep_hash(path, token)
        return TokenSet.of({token: engineer}, generated=token, token_file=path)
    _keep_private(path)
    if not stored.startswith(_HASHED):  # the plain-text token of earlier versions
        _keep_hash(path, stored)
        log.warning("%s held the engineer token in plain text; it holds only its hash now (the token still works)",
                    path)
        return TokenSet.of({stored: engineer}, token_file=path)
    return TokenSet({_stored_digest(path, stored): engineer}, token_file=path)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _keep_hash(path: Path, token: str) -> None:
    """Write the token's hash to the token file, readable by its owner only."""
    write_atomic(path, f"{_HASHED}{_digest(token).hex()}".encode())
    path.chmod(0o600)


def _stored_digest(path: Path, stored: str) -> bytes:
    """The digest a token file holds.

    Raises:
        OpenInspectError: the file holds no ``sha256:`` and 64 hex digits.
    """
    try:
        digest = bytes.fromhex(stored.removeprefix(_HASHED))
    except ValueError:
        digest = b""
    if len(digest) != hashlib.sha256().digest_size:
        raise OpenInspectError(f"{path} holds no token hash (expected sha256: and 64 hex digits); delete it and "
                               f"restart to make a new engineer token")
    return digest


def _keep_private(path: Path) -> None:
    """Make an existing token file readable by its owner only, warning that others may have read it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(0o600)
        log.warning("%s was readable by other users (mode %o); it is 0600 now. Whoever read it may act as engineer: "
                    "delete the file and restart to make a new token", path, mode)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
