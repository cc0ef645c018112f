"""Bearer tokens, their holders' names and roles: ``operator`` triggers and views, ``engineer`` does everything.

Tokens come from ``OPENINSPECT_TOKENS`` (JSON ``{token: {"name": ..., "role": ...}}``, or ``{token: role}`` for a
token named after its role); the name is who the audit trail and recipe revisions say made a change. A station
bound to a loopback address with no tokens configured makes one engineer token at first start, keeps it in
``<home>/station-token`` (mode 0600) and uses it on every later start (a file others may read is made 0600, with a
warning); a station reachable from the network refuses to start without configured tokens.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from openinspect.errors import OpenInspectError
from openinspect.server.errors import ApiError, ErrorType
from openinspect.settings import Role, Settings, TokenOwner
from openinspect.store.files import write_atomic

log = logging.getLogger(__name__)

TOKEN_FILE = "station-token"
"""The generated engineer token's file in the workspace."""
_RANK = {Role.OPERATOR: 0, Role.ENGINEER: 1}


@dataclass(frozen=True)
class TokenSet:
    """The tokens a station accepts; ``generated`` is the token made at start, if one was."""

    owners: dict[str, TokenOwner]
    generated: str | None = None

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
            for known, owner in self.owners.items():
                if secrets.compare_digest(known.encode(), token.encode()):
                    return owner
        raise ApiError(401, ErrorType.UNAUTHORIZED, "send a station token: `Authorization: Bearer <token>` "
                                                    "(see OPENINSPECT_TOKENS, or <home>/station-token)")

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
        OpenInspectError: no tokens configured and the station binds a non-loopback address.
    """
    if settings.tokens:
        return TokenSet(dict(settings.tokens))
    if not _loopback(settings.host):
        raise OpenInspectError(f"the station binds {settings.host}, reachable from the network: set "
                               f"OPENINSPECT_TOKENS, e.g. '{{\"<long random token>\": {{\"name\": \"alice\", \"role\": "
                               f"\"engineer\"}}}}'")
    path = settings.home / TOKEN_FILE
    token = _read(path)
    if token is not None:
        _keep_private(path)
    if token is None:
        token = secrets.token_urlsafe(24)
        write_atomic(path, token.encode())
        path.chmod(0o600)
    return TokenSet({token: TokenOwner(name=Role.ENGINEER.value, role=Role.ENGINEER)}, generated=token)


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
