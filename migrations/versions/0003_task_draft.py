"""task_draft: saved drafts of task forms

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_draft",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("business_key", sa.String(length=64), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["saved_by_id"], ["app_user.id"], name=op.f("fk_task_draft_saved_by_id_app_user")),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_draft")),
    )
    op.create_index(op.f("ix_task_draft_business_key"), "task_draft", ["business_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_task_draft_business_key"), table_name="task_draft")
    op.drop_table("task_draft")
