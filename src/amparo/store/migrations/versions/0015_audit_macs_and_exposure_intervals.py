"""audit events' MACs; exposure counted on the server in intervals

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-02 22:10:00
"""

import sqlalchemy as sa
from alembic import op

from amparo.store.types import UTCDateTime

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
    op.create_table(
        "exposure_interval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_key", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_exposure_interval_user_start", "exposure_interval", ["user_id", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_exposure_interval_user_start", table_name="exposure_interval")
    op.drop_table("exposure_interval")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("mac")
