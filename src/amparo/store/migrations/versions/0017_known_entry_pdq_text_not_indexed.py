"""known entries' PDQ text no longer indexed: no query looks a PDQ up by its text (PDQ is
searched in the FAISS index built from the hash sets), and the index cost a hash-set import
about a tenth of its time and each million entries about 75 MB

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:05:00
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_known_entry_pdq", table_name="known_entry")


def downgrade() -> None:
    op.create_index("ix_known_entry_pdq", "known_entry", ["pdq"], unique=False)
