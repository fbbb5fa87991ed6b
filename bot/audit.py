"""The audit log: who viewed or changed client data, when, and from where.

Every dashboard view of client data writes one entry, in the same transaction
as the read, so a view cannot happen without its record. Entries describe the
act (``view_transcript``, ``acknowledge_escalation``), never what the client
wrote.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.storage.enums import AUDIT_ACTION_MAX_LENGTH, AUDIT_DETAIL_MAX_LENGTH
from bot.storage.models import AuditLog


def record(
    session: Session,
    *,
    action: str,
    actor_therapist_id: int | None = None,
    client_id: int | None = None,
    detail: str | None = None,
    ip: str | None = None,
) -> AuditLog:
    """Add one entry; ``actor_therapist_id`` None means the system acted (or a failed login)."""
    if not action or len(action) > AUDIT_ACTION_MAX_LENGTH:
        raise ValueError(f"audit action must be 1 to {AUDIT_ACTION_MAX_LENGTH} characters")
    if detail is not None and len(detail) > AUDIT_DETAIL_MAX_LENGTH:
        raise ValueError(
            f"audit detail must be a short note (at most {AUDIT_DETAIL_MAX_LENGTH} characters)"
        )
    entry = AuditLog(
        action=action,
        actor_therapist_id=actor_therapist_id,
        client_id=client_id,
        detail=detail,
        ip=ip,
    )
    session.add(entry)
    session.flush()
    return entry
