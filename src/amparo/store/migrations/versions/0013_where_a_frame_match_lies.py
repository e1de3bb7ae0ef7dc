"""where a frame match lies: the frame of an animated picture, the second of a video

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-02 22:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frame", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("second", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.drop_column("second")
        batch_op.drop_column("frame")
