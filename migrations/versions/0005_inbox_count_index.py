"""human_task (assignee, spec_name, due_at): the inbox's counts read the index only

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_human_task_assignee_step_due", "human_task", ["assignee", "spec_name", "due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_human_task_assignee_step_due", table_name="human_task")
