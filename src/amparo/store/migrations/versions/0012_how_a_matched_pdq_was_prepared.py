"""how the file's pixels were prepared for the PDQ hash that matched

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-02 22:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preparation", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.drop_column("preparation")
