"""Therapists sort in German dictionary order: key columns kept by the model (portal/sorting.py),
filled here for the existing rows, with the list's index on them.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from portal.sorting import sort_key

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("therapist") as batch:
        batch.add_column(sa.Column("sort_last", sa.String(length=240), nullable=False, server_default=""))
        batch.add_column(sa.Column("sort_first", sa.String(length=240), nullable=False, server_default=""))
    connection = op.get_bind()
    therapist = sa.table("therapist", sa.column("id", sa.Integer), sa.column("first_name", sa.String),
                         sa.column("last_name", sa.String), sa.column("sort_last", sa.String),
                         sa.column("sort_first", sa.String))
    for row in connection.execute(sa.select(therapist.c.id, therapist.c.first_name, therapist.c.last_name)).all():
        connection.execute(therapist.update().where(therapist.c.id == row.id).values(
            sort_last=sort_key(row.last_name), sort_first=sort_key(row.first_name)))
    op.drop_index("ix_therapist_group_name", table_name="therapist")
    op.create_index("ix_therapist_group_sort", "therapist", ["group_id", "sort_last", "sort_first", "id"])


def downgrade():
    op.drop_index("ix_therapist_group_sort", table_name="therapist")
    op.create_index("ix_therapist_group_name", "therapist", ["group_id", "last_name", "first_name", "id"])
    with op.batch_alter_table("therapist") as batch:
        batch.drop_column("sort_first")
        batch.drop_column("sort_last")
