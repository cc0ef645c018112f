"""Who the caller is: the name and role of its token, so a client shows only what that role may do."""

from __future__ import annotations

from fastapi import APIRouter

from openinspect.server.deps import Operator
from openinspect.server.errors import ERROR_RESPONSES
from openinspect.server.schemas import SessionPublic

router = APIRouter(tags=["station"], responses=ERROR_RESPONSES)


@router.get("/session")
async def session(caller: Operator) -> SessionPublic:
    """The name and role of the caller's token (401 without a known token)."""
    return SessionPublic(name=caller.name, role=caller.role)
