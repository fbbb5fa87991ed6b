"""The clinic's crisis line texted STOP to the paging number.

Revision ID: 0014_crisis_line_opt_out
Revises: 0013_conv7_checkin_alerts
Create Date: 2026-12-01

Twilio blocks every later SMS to a number that texted STOP, and the crisis
line is the last tier of every page chain: ``crisis_line_opt_outs`` records
when its number did, so that paging skips it (the admins are told) and
``wisemind oncall check`` and ``wisemind status`` show it until it texts
START. A table, not a setting: the crisis line's number is configured at
start-up, its STOP arrives at run time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_crisis_line_opt_out"
down_revision = "0013_conv7_checkin_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crisis_line_opt_outs",
        sa.Column("address", sa.String(16), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_crisis_line_opt_outs")),
    )


def downgrade() -> None:
    op.drop_table("crisis_line_opt_outs")
