"""Staff accounts can be made to choose their own password at their next login.

Revision ID: 0011_dash11_password_change
Revises: 0010_crisis7_screening_flood
Create Date: 2026-11-30

An admin who adds a therapist in the dashboard sees (or sets) the initial
password; the account then must replace it before it can open any page.
SQLite alters the table in batch mode.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_dash11_password_change"
down_revision = "0010_crisis7_screening_flood"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("therapists") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("therapists") as batch:
        batch.drop_column("must_change_password")
