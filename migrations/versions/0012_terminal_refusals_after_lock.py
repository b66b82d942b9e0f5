"""What a locked terminal still tried to hand over: it takes nothing after the lock, and the
practice sees how many check-ins it refused (and when last).

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

from portal.timeutil import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('terminal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refused_after_lock', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_refused_at', UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('terminal', schema=None) as batch_op:
        batch_op.drop_column('last_refused_at')
        batch_op.drop_column('refused_after_lock')
