"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import amparo.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "user_id"),
    )
    op.create_table(
        "chat_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.String(length=400), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "group_id"),
    )
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("sha1", sa.String(length=40), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_md5"), ["md5"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_sha1"), ["sha1"], unique=False)

    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("received_at", amparo.store.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["source.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_digest"), ["digest"], unique=False)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["chat_group.id"],
        ),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_id", "account_id", "source_id"),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_group_id"), ["group_id"], unique=False)

    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("incident_type", sa.Text(), nullable=False),
        sa.Column("incident_at", amparo.store.types.UTCDateTime(), nullable=True),
        sa.Column("incident_at_raw", sa.String(length=64), nullable=False),
        sa.Column("incident_offset_minutes", sa.Integer(), nullable=True),
        sa.Column("incident_description", sa.Text(), nullable=True),
        sa.Column("platform", sa.Text(), nullable=True),
        sa.Column("escalate_to_high_priority", sa.Text(), nullable=True),
        sa.Column(
            "annotations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "internet_details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_table(
        "party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("esp_service", sa.Text(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column(
            "addresses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("est_city", sa.Text(), nullable=True),
        sa.Column("est_region", sa.Text(), nullable=True),
        sa.Column("est_country", sa.String(length=8), nullable=True),
        sa.Column("est_verified", sa.Boolean(), nullable=True),
        sa.Column("est_at", amparo.store.types.UTCDateTime(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["chat_group.id"],
        ),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_party_report_id"), ["report_id"], unique=False)

    op.create_table(
        "identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("identifier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identifier_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identifier_normalized"), ["normalized"], unique=False)
        batch_op.create_index(batch_op.f("ix_identifier_party_id"), ["party_id"], unique=False)

    op.create_table(
        "ip_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("at", amparo.store.types.UTCDateTime(), nullable=True),
        sa.Column("at_raw", sa.String(length=64), nullable=True),
        sa.Column("offset_minutes", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=40), nullable=True),
        sa.Column("possible_proxy", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ip_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ip_event_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ip_event_ip"), ["ip"], unique=False)
        batch_op.create_index(batch_op.f("ix_ip_event_report_id"), ["report_id"], unique=False)

    op.create_table(
        "sighting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("ip_event_id", sa.Integer(), nullable=True),
        sa.Column("file_id", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("original_file_name", sa.Text(), nullable=True),
        sa.Column("at", amparo.store.types.UTCDateTime(), nullable=True),
        sa.Column("at_raw", sa.String(length=64), nullable=True),
        sa.Column("location_of_file", sa.Text(), nullable=True),
        sa.Column("viewed_by_esp", sa.Boolean(), nullable=True),
        sa.Column("exif_viewed_by_esp", sa.Boolean(), nullable=True),
        sa.Column("publicly_available", sa.Boolean(), nullable=True),
        sa.Column("relevance", sa.String(length=40), nullable=True),
        sa.Column(
            "annotations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("industry_classification", sa.String(length=4), nullable=True),
        sa.Column(
            "original_hashes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["chat_group.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ip_event_id"],
            ["ip_event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
        ),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", "file_id"),
    )
    with op.batch_alter_table("sighting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sighting_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sighting_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sighting_media_id"), ["media_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sighting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sighting_media_id"))
        batch_op.drop_index(batch_op.f("ix_sighting_group_id"))
        batch_op.drop_index(batch_op.f("ix_sighting_account_id"))

    op.drop_table("sighting")
    with op.batch_alter_table("ip_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ip_event_report_id"))
        batch_op.drop_index(batch_op.f("ix_ip_event_ip"))
        batch_op.drop_index(batch_op.f("ix_ip_event_account_id"))

    op.drop_table("ip_event")
    with op.batch_alter_table("identifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identifier_party_id"))
        batch_op.drop_index(batch_op.f("ix_identifier_normalized"))
        batch_op.drop_index(batch_op.f("ix_identifier_account_id"))

    op.drop_table("identifier")
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_report_id"))
        batch_op.drop_index(batch_op.f("ix_party_account_id"))

    op.drop_table("party")
    op.drop_table("report")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_group_id"))
        batch_op.drop_index(batch_op.f("ix_membership_account_id"))

    op.drop_table("membership")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_digest"))

    op.drop_table("source")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_sha1"))
        batch_op.drop_index(batch_op.f("ix_media_md5"))

    op.drop_table("media")
    op.drop_table("chat_group")
    op.drop_table("account")
