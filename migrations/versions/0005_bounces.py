"""Delivery reports (bounces) of code mails, and what they did to a request.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bounce",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=255), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("intake", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code_request_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("diagnostic", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["code_request_id"], ["code_request.id"],
                                name=op.f("fk_bounce_code_request_id_code_request"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["group_id"], ["practice_group.id"], name=op.f("fk_bounce_group_id_practice_group"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bounce")),
        sa.UniqueConstraint("event_key", name=op.f("uq_bounce_event_key")),
    )
    op.create_index(op.f("ix_bounce_code_request_id"), "bounce", ["code_request_id"])
    op.create_index(op.f("ix_bounce_group_id"), "bounce", ["group_id"])
    op.create_index(op.f("ix_bounce_received_at"), "bounce", ["received_at"])
    op.add_column("code_request", sa.Column("bounce_reason", sa.Text(), nullable=True))
    op.add_column("code_request", sa.Column("delayed_at", sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column("code_request", "delayed_at")
    op.drop_column("code_request", "bounce_reason")
    op.drop_table("bounce")
