"""Words a practice understands (issue 24): a portal user's name (asked when an invitation is
accepted, set in "Mein Konto"; invitations and the Protokoll name people by it), the payer's
details of a prescription (Verordnungsdatum, Genehmigungsdatum and -nummer, Versichertennummer,
all optional, printed on the Teilnahmenachweis), and the reason a check-in was entered after its
day (a forgotten check-in, "Nachtrag").

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=120), server_default='', nullable=False))
    with op.batch_alter_table('prescription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prescribed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('approved_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('approval_number', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('insurance_number', sa.String(length=30), server_default='', nullable=False))
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_column('late_reason')
    with op.batch_alter_table('prescription', schema=None) as batch_op:
        batch_op.drop_column('insurance_number')
        batch_op.drop_column('approval_number')
        batch_op.drop_column('approved_on')
        batch_op.drop_column('prescribed_on')
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.drop_column('name')
