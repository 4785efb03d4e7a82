"""notification delivery: per-user daily digest preference, outbox claim index

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_digest", sa.Boolean(), server_default=sa.false(), nullable=False))

    # The sender claims `email_status = 'pending' AND next_attempt_at <= now`: one index for both.
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_email_status"))
        batch_op.create_index("ix_notification_outbox", ["email_status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_outbox")
        batch_op.create_index(batch_op.f("ix_notification_email_status"), ["email_status"], unique=False)

    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("email_digest")
