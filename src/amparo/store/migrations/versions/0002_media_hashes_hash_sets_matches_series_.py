"""media hashes, hash sets, matches, series, devices

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import amparo.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("label"),
    )
    op.create_table(
        "hash_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("pdq_threshold", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("imported_at", amparo.store.types.UTCDateTime(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("first_seen", amparo.store.types.UTCDateTime(), nullable=True),
        sa.Column(
            "first_accounts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "groups",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "known_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash_set_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha1", sa.String(length=40), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("photodna", sa.Text(), nullable=True),
        sa.Column("category_scheme", sa.String(length=40), nullable=True),
        sa.Column("category_code", sa.String(length=40), nullable=True),
        sa.Column("series", sa.Text(), nullable=True),
        sa.Column("victim_identified", sa.Boolean(), nullable=True),
        sa.Column("offender_identified", sa.Boolean(), nullable=True),
        sa.Column("is_distributed", sa.Boolean(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["hash_set_id"], ["hash_set.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash_set_id", "entry_id"),
    )
    with op.batch_alter_table("known_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_known_entry_md5"), ["md5"], unique=False)
        batch_op.create_index(batch_op.f("ix_known_entry_pdq"), ["pdq"], unique=False)
        batch_op.create_index(batch_op.f("ix_known_entry_sha1"), ["sha1"], unique=False)
        batch_op.create_index(batch_op.f("ix_known_entry_sha256"), ["sha256"], unique=False)

    op.create_table(
        "match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("known_entry_id", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("transform", sa.String(length=20), nullable=True),
        sa.Column("suppressing", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["known_entry_id"], ["known_entry.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("media_id", "known_entry_id", "algorithm"),
    )
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_known_entry_id"), ["known_entry_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_match_media_id"), ["media_id"], unique=False)

    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("height", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pdq", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pdq_quality", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "pdq_dihedral",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("preparation", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "video_frames",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "exif",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("analysed_at", amparo.store.types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("problem", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("matched_against", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_media_pdq"), ["pdq"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_status"), ["status"], unique=False)
        batch_op.create_foreign_key(
            "fk_media_series_id", "series", ["series_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("sighting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_id", sa.Integer(), nullable=True))
        batch_op.alter_column("report_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_unique_constraint("uq_sighting_device_file", ["device_id", "file_id"])
        batch_op.create_foreign_key(
            "fk_sighting_device_id", "device", ["device_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("sighting", schema=None) as batch_op:
        batch_op.drop_constraint("fk_sighting_device_id", type_="foreignkey")
        batch_op.drop_constraint("uq_sighting_device_file", type_="unique")
        batch_op.alter_column("report_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("device_id")

    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_constraint("fk_media_series_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_media_status"))
        batch_op.drop_index(batch_op.f("ix_media_pdq"))
        batch_op.drop_column("series_id")
        batch_op.drop_column("matched_against")
        batch_op.drop_column("status")
        batch_op.drop_column("problem")
        batch_op.drop_column("analysed_at")
        batch_op.drop_column("exif")
        batch_op.drop_column("video_frames")
        batch_op.drop_column("preparation")
        batch_op.drop_column("pdq_dihedral")
        batch_op.drop_column("pdq_quality")
        batch_op.drop_column("pdq")
        batch_op.drop_column("height")
        batch_op.drop_column("width")

    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_media_id"))
        batch_op.drop_index(batch_op.f("ix_match_known_entry_id"))

    op.drop_table("match")
    with op.batch_alter_table("known_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_entry_sha256"))
        batch_op.drop_index(batch_op.f("ix_known_entry_sha1"))
        batch_op.drop_index(batch_op.f("ix_known_entry_pdq"))
        batch_op.drop_index(batch_op.f("ix_known_entry_md5"))

    op.drop_table("known_entry")
    op.drop_table("series")
    op.drop_table("hash_set")
    op.drop_table("device")
