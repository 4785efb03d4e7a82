"""process_version: the same content may be deployed again as a new version (to go back to it)

A process owner who deployed a faulty version goes back by deploying the content before it: a new
version, the newest, which new cases start on and running cases can move to. The pair (process,
content hash) is no longer unique (a deploy compares the content with the newest version's only).

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_version") as batch:  # SQLite rebuilds the table
        batch.drop_constraint("uq_process_version_process_id_content_hash", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("process_version") as batch:
        batch.create_unique_constraint("uq_process_version_process_id_content_hash", ["process_id", "content_hash"])
