"""Messages remember which safety question the core read them as answering.

Revision ID: 0015_answered_question
Revises: 0014_crisis_line_opt_out
Create Date: 2026-12-01

``messages.answered_question``: the intake read an inbound message as the
answer to a safety question it was waiting on ("are you having thoughts of
suicide?"), and tells the assistant so with the message. After an hour's
silence Rasa starts a new session; the pending question is already answered
by then, so this is how the new session knows to read the message as that
answer too. Stored, not only sent, so a hand-off taken again after a crash
carries the same.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_answered_question"
down_revision = "0014_crisis_line_opt_out"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("answered_question", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("answered_question")
