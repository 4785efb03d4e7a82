"""sign_in: open sign-ins, so that signing out ends a session for good (workflows/signins.py)

Sessions opened before this revision carry no sign-in key: their users sign in again.

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_sign_in_user_id_app_user")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in")),
    )
    op.create_index(op.f("ix_sign_in_user_id"), "sign_in", ["user_id"], unique=False)
    op.create_index(op.f("ix_sign_in_opened_at"), "sign_in", ["opened_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_opened_at"), table_name="sign_in")
    op.drop_index(op.f("ix_sign_in_user_id"), table_name="sign_in")
    op.drop_table("sign_in")
