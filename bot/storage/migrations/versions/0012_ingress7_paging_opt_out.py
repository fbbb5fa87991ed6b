"""Staff who texted STOP to the paging number.

Revision ID: 0012_ingress7_paging_opt_out
Revises: 0011_dash11_password_change
Create Date: 2026-12-01

Twilio blocks every later SMS to a number that texted STOP (error 21610), so
a therapist who did is not reachable by SMS pages until they text START:
``therapists.sms_opted_out_at`` records when, so that paging skips them and
the rota check shows the gap. SQLite alters the table in batch mode.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_ingress7_paging_opt_out"
down_revision = "0011_dash11_password_change"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("therapists") as batch:
        batch.add_column(sa.Column("sms_opted_out_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("therapists") as batch:
        batch.drop_column("sms_opted_out_at")
