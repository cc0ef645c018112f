"""The audit trail: who changed what, when, before and after; read only (nothing in the API edits or deletes it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from openinspect.server.deps import AuditDep, Engineer
from openinspect.server.errors import ERROR_RESPONSES
from openinspect.server.schemas import AuditPagePublic, AuditRecordPublic
from openinspect.store.audit import AuditFilter

router = APIRouter(tags=["audit"], responses=ERROR_RESPONSES)


@router.get("/audit")
def audit(trail: AuditDep, _role: Engineer,
          since: Annotated[datetime | None, Query(description="at or after (ISO 8601; no zone: UTC)")] = None,
          actor: Annotated[str | None, Query(description="a token's name, or cli:<user>")] = None,
          recipe: str | None = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          offset: Annotated[int, Query(ge=0)] = 0) -> AuditPagePublic:
    """Audit records, newest first, filtered and paged."""
    page = trail.query(AuditFilter(since, actor, recipe), limit, offset)
    return AuditPagePublic(total=page.total, limit=limit, offset=offset,
                           items=[AuditRecordPublic.model_validate(r) for r in page.items])
