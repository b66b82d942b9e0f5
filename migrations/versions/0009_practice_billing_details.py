"""A practice's billing details: street, postcode and Institutionskennzeichen (IK), printed on the
Teilnahmenachweis and the monthly attendance list for the payer. Empty until the practice enters them.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('street', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('postcode', sa.String(length=5), server_default='', nullable=False))
        batch_op.add_column(sa.Column('ik', sa.String(length=9), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('ik')
        batch_op.drop_column('postcode')
        batch_op.drop_column('street')
