"""the network stage's stored results: persons' communities and centrality, cross-border links,
first sharers, and the summary; media indexed by series

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-03 04:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0011"
branch_labels = None
depends_on = None

_JSON = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)


def upgrade() -> None:
    op.create_index("ix_media_series_id", "media", ["series_id"])  # a series page's files
    op.create_table(
        "network_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person", sa.Text(), nullable=False),
        sa.Column("community", sa.Integer(), nullable=True),
        sa.Column("weighted_degree", sa.Double(), nullable=False),
        sa.Column("betweenness", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person"),
    )
    op.create_table(
        "network_cross_border",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_a", sa.Text(), nullable=False),
        sa.Column("person_b", sa.Text(), nullable=False),
        sa.Column("country_a", sa.Text(), nullable=False),
        sa.Column("country_b", sa.Text(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("groups", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "network_first_sharers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series", sa.Text(), nullable=False),
        sa.Column("persons", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series"),
    )
    op.create_table(
        "network_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("large_groups", _JSON, nullable=False),
        sa.Column("betweenness_sources", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("network_summary")
    op.drop_table("network_first_sharers")
    op.drop_table("network_cross_border")
    op.drop_table("network_person")
    op.drop_index("ix_media_series_id", table_name="media")
