"""A therapist's withdrawal is a column of its own (the readiness rules read it); code requests
wait as "pending" until a worker claims them (no separate "queued" state).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LATEST_WITHDRAWAL = """
UPDATE therapist SET withdrawn_at = (
    SELECT e.created_at FROM audit_event e
    WHERE e.id = (SELECT max(l.id) FROM audit_event l WHERE l.therapist_id = therapist.id
                  AND l.action IN ('therapist.authorisation_withdrawn', 'therapist.app_activated'))
      AND e.action = 'therapist.authorisation_withdrawn')
WHERE NOT app_enabled
"""


def upgrade():
    with op.batch_alter_table("therapist") as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
    op.execute(LATEST_WITHDRAWAL)
    op.execute("UPDATE code_request SET delivery = 'pending' WHERE delivery = 'queued'")
    # SQLite (3.35 and newer) drops the column in place; a batch copy of the table would set the
    # devices' code_request_id to NULL through their foreign key
    op.drop_column("code_request", "enqueued_at")


def downgrade():
    op.add_column("code_request", sa.Column("enqueued_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("therapist") as batch_op:
        batch_op.drop_column("withdrawn_at")
