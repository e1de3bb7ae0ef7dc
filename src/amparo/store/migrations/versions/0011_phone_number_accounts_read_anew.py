"""phone numbers read in context: accounts whose keys now read as one are merged, and recorded

Revision ID: 0011
Revises: 0015
Create Date: 2026-12-02 22:20:00.000000
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import amparo.store.types
from amparo.store.rekey import rekey_phone_accounts

revision = "0011"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_key", sa.Text(), nullable=False),
        sa.Column("into_account_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("merged_at", amparo.store.types.UTCDateTime(), nullable=False),
        sa.Column(
            "detail",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["into_account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account_merge", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_merge_into_account_id"), ["into_account_id"], unique=False
        )
    rekey_phone_accounts(op.get_bind(), datetime.now(UTC))


def downgrade() -> None:
    # The merges themselves are not undone: the merged accounts' rows now belong to the
    # surviving accounts, and the old keys are only in the table dropped here.
    with op.batch_alter_table("account_merge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_merge_into_account_id"))
    op.drop_table("account_merge")
