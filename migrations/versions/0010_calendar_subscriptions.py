"""Appointments from the practice's calendar: a therapist's calendar subscriptions (the address
encrypted, shown only masked) and uploaded files, with how their last fetch went; an appointment
from a calendar is keyed by (calendar, UID, recurrence id) and goes with its calendar.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('address_encrypted', sa.Text(), nullable=True),
    sa.Column('address_digest', sa.String(length=64), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('upload', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_label', sa.String(length=254), nullable=False),
    sa.Column('etag', sa.String(length=255), nullable=True),
    sa.Column('last_modified', sa.String(length=64), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=True),
    sa.Column('window_start', sa.Date(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=True),
    sa.Column('attempted_at', sa.DateTime(), nullable=True),
    sa.Column('succeeded_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('failing_since', sa.DateTime(), nullable=True),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('removed', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['practice_group.id'], name=op.f('fk_calendar_subscription_group_id_practice_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_calendar_subscription_practice_id_practice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['therapist_id'], ['therapist.id'], name=op.f('fk_calendar_subscription_therapist_id_therapist'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_subscription'))
    )
    with op.batch_alter_table('calendar_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_subscription_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_subscription_therapist_id'), ['therapist_id'], unique=False)

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('calendar_uid', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('calendar_recurrence', sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_appointment_calendar_id_calendar_uid_calendar_recurrence'), ['calendar_id', 'calendar_uid', 'calendar_recurrence'])
        batch_op.create_foreign_key(batch_op.f('fk_appointment_calendar_id_calendar_subscription'), 'calendar_subscription', ['calendar_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointment_calendar_id_calendar_subscription'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_appointment_calendar_id_calendar_uid_calendar_recurrence'), type_='unique')
        batch_op.drop_column('calendar_recurrence')
        batch_op.drop_column('calendar_uid')
        batch_op.drop_column('calendar_id')

    with op.batch_alter_table('calendar_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_subscription_therapist_id'))
        batch_op.drop_index(batch_op.f('ix_calendar_subscription_group_id'))

    op.drop_table('calendar_subscription')
