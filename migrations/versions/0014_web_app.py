"""The web app (/app): a code request the therapist made in the app ("Code anfordern") rather than
the practice, shown as "vom Therapeuten angefordert" and counted against the per-address limits;
and the schema version each therapist database was written with, so a release with a new schema
regenerates the older files (the sweeper marks them stale). Files written before have none.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('code_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_therapist', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('therapist_database', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schema_version', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('therapist_database', schema=None) as batch_op:
        batch_op.drop_column('schema_version')
    with op.batch_alter_table('code_request', schema=None) as batch_op:
        batch_op.drop_column('by_therapist')
