"""Messages remember that the crisis reply went out for them.

Revision ID: 0009_crisis_replied
Revises: 0008_skills_practice
Create Date: 2026-11-30

A message handed to the assistant again after a crash (a check-in "yes", a
diary urge of 5) must not get the crisis protocol a second time: its risk
level alone does not say that the reply was sent. SQLite alters the table in
batch mode.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_crisis_replied"
down_revision = "0008_skills_practice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column("crisis_replied", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("crisis_replied")
