"""human_task.supervisor: who oversees the task's case, so the partners' inbox reads one index

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("human_task", sa.Column("supervisor", sa.String(length=120), nullable=True))
    # Open tasks already there: their case's manager.
    op.execute("UPDATE human_task SET supervisor = (SELECT app_user.username FROM case_file "
               "JOIN app_user ON app_user.id = case_file.case_manager_id "
               "WHERE case_file.reference = human_task.business_key)")
    op.create_index("ix_human_task_supervisor_lane_step_due", "human_task",
                    ["supervisor", "lane", "spec_name", "due_at"], unique=False)
    op.create_index("ix_human_task_supervisor_lane_due", "human_task", ["supervisor", "lane", "due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_human_task_supervisor_lane_due", table_name="human_task")
    op.drop_index("ix_human_task_supervisor_lane_step_due", table_name="human_task")
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("supervisor")
