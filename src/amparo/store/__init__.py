"""The store: SQL tables, migrations and the content-addressed evidence store."""
