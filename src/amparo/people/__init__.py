"""Identifiers of people and accounts, and the resolution of accounts into persons."""
