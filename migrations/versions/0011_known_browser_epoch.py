"""The known-browser cookie bound to the account's sign-in epoch: a number that a new password, a
reset or a deactivation raises, so every browser known for the account counts as new again.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.drop_column('sign_in_epoch')
