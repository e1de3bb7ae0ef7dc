"""known entries' indexes for bulk loads: a hash set's ids kept unique by a named unique index
(a bulk import drops it and builds it again, sorted, instead of inserting into it row by row;
on SQLite a table's own UNIQUE constraint cannot be dropped), and their PDQ text no longer
indexed (no query looks a PDQ up by its text: PDQ is searched in the FAISS index built from
the hash sets; the index cost an import about a tenth of its time, and 75 MB a million
entries); the MD5, SHA-1 and SHA-256 indexes hold only the entries that have that hash

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

UNIQUE_INDEX = "ux_known_entry_hash_set_id_entry_id"
# The name 0002's unnamed constraint has: PostgreSQL's own; on SQLite, the one given below.
POSTGRESQL_CONSTRAINT = "known_entry_hash_set_id_entry_id_key"
SQLITE_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s_%(column_1_name)s"}
SQLITE_CONSTRAINT = "uq_known_entry_hash_set_id_entry_id"


HASHES = ("md5", "sha1", "sha256")


def upgrade() -> None:
    op.drop_index("ix_known_entry_pdq", table_name="known_entry")
    if op.get_bind().dialect.name == "sqlite":  # the table is copied without the constraint
        with op.batch_alter_table(
            "known_entry", recreate="always", naming_convention=SQLITE_NAMING
        ) as batch:
            batch.drop_constraint(SQLITE_CONSTRAINT, type_="unique")
            batch.create_index(UNIQUE_INDEX, ["hash_set_id", "entry_id"], unique=True)
    else:
        op.drop_constraint(POSTGRESQL_CONSTRAINT, "known_entry", type_="unique")
        op.create_index(UNIQUE_INDEX, "known_entry", ["hash_set_id", "entry_id"], unique=True)
    for name in HASHES:  # only the entries that have the hash: sets often lack one
        op.drop_index(f"ix_known_entry_{name}", table_name="known_entry")
        where = sa.text(f"{name} IS NOT NULL")
        op.create_index(f"ix_known_entry_{name}", "known_entry", [name],
                        sqlite_where=where, postgresql_where=where)  # fmt: skip


def downgrade() -> None:
    for name in HASHES:
        op.drop_index(f"ix_known_entry_{name}", table_name="known_entry")
        op.create_index(f"ix_known_entry_{name}", "known_entry", [name])
    op.drop_index(UNIQUE_INDEX, table_name="known_entry")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("known_entry", recreate="always") as batch:
            batch.create_unique_constraint(SQLITE_CONSTRAINT, ["hash_set_id", "entry_id"])
    else:
        op.create_unique_constraint(
            POSTGRESQL_CONSTRAINT, "known_entry", ["hash_set_id", "entry_id"]
        )
    op.create_index("ix_known_entry_pdq", "known_entry", ["pdq"], unique=False)
