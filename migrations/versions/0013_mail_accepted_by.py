"""Which mail server accepted each mail, for "Code nicht angekommen?" beside a sent code (and the
account mails, which share the delivery columns). Empty for mails sent before.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('code_request', 'account_mail'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('accepted_by', sa.String(length=255), nullable=True))


def downgrade():
    for table in ('account_mail', 'code_request'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('accepted_by')
