"""Messages remember the check-in the core asked, and when people were told of a stranger's.

Revision ID: 0013_conv7_checkin_alerts
Revises: 0012_ingress7_paging_opt_out
Create Date: 2026-12-01

``messages.check_in_asked``: the intake asked the direct question about
suicidal thoughts for a moderate-risk message itself, so a message handed to
the assistant again after a crash is not asked it a second time.
``messages.alerted_at``: a risky message kept from an unregistered sender was
told to the on-call therapist and admins (in its own alert or in a summary);
clinic-wide, such alerts go out at most once per window.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_conv7_checkin_alerts"
down_revision = "0012_ingress7_paging_opt_out"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column("check_in_asked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("alerted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("alerted_at")
        batch.drop_column("check_in_asked")
