"""free-text keys as text

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column(
            "platform",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.Text(),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "user_id",
            existing_type=sa.VARCHAR(length=400),
            type_=sa.Text(),
            existing_nullable=False,
        )

    with op.batch_alter_table("chat_group", schema=None) as batch_op:
        batch_op.alter_column(
            "platform",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.Text(),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "group_id",
            existing_type=sa.VARCHAR(length=400),
            type_=sa.Text(),
            existing_nullable=False,
        )

    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.alter_column(
            "label", existing_type=sa.VARCHAR(length=200), type_=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("hash_set", schema=None) as batch_op:
        batch_op.alter_column(
            "name", existing_type=sa.VARCHAR(length=200), type_=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("known_entry", schema=None) as batch_op:
        batch_op.alter_column(
            "entry_id",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.Text(),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "kind", existing_type=sa.VARCHAR(length=10), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "category_scheme",
            existing_type=sa.VARCHAR(length=40),
            type_=sa.Text(),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "category_code",
            existing_type=sa.VARCHAR(length=40),
            type_=sa.Text(),
            existing_nullable=True,
        )

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.alter_column(
            "number", existing_type=sa.VARCHAR(length=40), type_=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.alter_column(
            "key", existing_type=sa.VARCHAR(length=300), type_=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("sighting", schema=None) as batch_op:
        batch_op.alter_column(
            "file_id",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.Text(),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("sighting", schema=None) as batch_op:
        batch_op.alter_column(
            "file_id",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=200),
            existing_nullable=False,
        )

    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.alter_column(
            "key", existing_type=sa.Text(), type_=sa.VARCHAR(length=300), existing_nullable=False
        )

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.alter_column(
            "number", existing_type=sa.Text(), type_=sa.VARCHAR(length=40), existing_nullable=False
        )

    with op.batch_alter_table("known_entry", schema=None) as batch_op:
        batch_op.alter_column(
            "category_code",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=40),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "category_scheme",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=40),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "kind", existing_type=sa.Text(), type_=sa.VARCHAR(length=10), existing_nullable=True
        )
        batch_op.alter_column(
            "entry_id",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=200),
            existing_nullable=False,
        )

    with op.batch_alter_table("hash_set", schema=None) as batch_op:
        batch_op.alter_column(
            "name", existing_type=sa.Text(), type_=sa.VARCHAR(length=200), existing_nullable=False
        )

    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.alter_column(
            "label", existing_type=sa.Text(), type_=sa.VARCHAR(length=200), existing_nullable=False
        )

    with op.batch_alter_table("chat_group", schema=None) as batch_op:
        batch_op.alter_column(
            "group_id",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=400),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "platform",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=200),
            existing_nullable=False,
        )

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column(
            "user_id",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=400),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "platform",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=200),
            existing_nullable=False,
        )
