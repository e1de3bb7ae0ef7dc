"""The evidence keyset: a Tink keyset (several keys, one primary) that seals the evidence store.

Where it comes from, first found wins:

1. ``$AMPARO_EVIDENCE_KEY``: the keyset's JSON itself (from a secrets manager); never written
   to disk by Amparo, so ``amparo keys rotate`` refuses to run on it.
2. ``evidence.keyset.sealed.json`` in the keys folder, opened with ``$AMPARO_EVIDENCE_PASSPHRASE``
   through Argon2id (random salt and parameters stored beside the sealed keyset); made so
   when the passphrase is set as the workspace's first keyset is made.
3. ``evidence.keyset.json`` in the keys folder (mode 0600, folder 0700): the default.

Losing the keyset loses the evidence: back it up apart from the evidence (see the README).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amparo.errors import EvidenceKeyError
from amparo.keys import keys_folder, read_private, write_private

KEY_VARIABLE = "AMPARO_EVIDENCE_KEY"
PASSPHRASE_VARIABLE = "AMPARO_EVIDENCE_PASSPHRASE"
KEYSET_FILE = "evidence.keyset.json"
SEALED_KEYSET_FILE = "evidence.keyset.sealed.json"
# Argon2id as RFC 9106's second recommended option (64 MiB, 3 passes), one lane.
ARGON2 = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 1}
SEALED_KEYSET_DATA = b"amparo evidence keyset"


@dataclass(frozen=True)
class EvidenceKeys:
    """A workspace's evidence keyset: found, made once, or replaced whole (rotation)."""

    folder: Path

    @classmethod
    def of_workspace(cls, workspace_root: Path) -> EvidenceKeys:
        return cls(keys_folder(workspace_root))

    @property
    def source(self) -> str:
        """``environment``, ``passphrase`` or ``file``: where the keyset is (or will be) kept."""
        if os.environ.get(KEY_VARIABLE):
            return "environment"
        if (self.folder / SEALED_KEYSET_FILE).exists() or (
            os.environ.get(PASSPHRASE_VARIABLE) and not (self.folder / KEYSET_FILE).exists()
        ):
            return "passphrase"
        return "file"

    def load(self) -> str | None:
        """The keyset's JSON, or None when the workspace has none yet."""
        source = self.source
        if source == "environment":
            return os.environ[KEY_VARIABLE]
        if source == "passphrase":
            path = self.folder / SEALED_KEYSET_FILE
            return _open_sealed(_read_private(path), path) if path.exists() else None
        path = self.folder / KEYSET_FILE
        return _read_private(path) if path.exists() else None

    def load_or_create(self) -> str:
        """The keyset, made first (one AES-256-GCM-HKDF key) when there is none."""
        found = self.load()
        if found is not None:
            return found
        self.save(new_keyset(), overwrite=False)  # a racing maker may win: then its keyset
        found = self.load()
        assert found is not None
        return found

    def save(self, keyset_json: str, *, overwrite: bool = True) -> None:
        """Keep the keyset where it comes from, written whole then moved into place."""
        source = self.source
        if source == "environment":
            raise EvidenceKeyError(
                f"the evidence keyset comes from ${KEY_VARIABLE}, which Amparo cannot change: "
                "unset it to let Amparo keep the keyset in the keys folder"
            )
        if source == "passphrase":
            text = _seal(keyset_json)
            write_private(self.folder / SEALED_KEYSET_FILE, text, overwrite=overwrite)
        else:
            write_private(self.folder / KEYSET_FILE, keyset_json, overwrite=overwrite)

    def describe(self) -> str:
        if self.source == "environment":
            return f"${KEY_VARIABLE}"
        name = SEALED_KEYSET_FILE if self.source == "passphrase" else KEYSET_FILE
        return str(self.folder / name)


def new_keyset() -> str:
    import tink
    from tink import secret_key_access

    from amparo.store.evidence_cipher import streaming_template

    handle = tink.new_keyset_handle(streaming_template())
    return tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN)


def with_new_primary(keyset_json: str) -> str:
    """The keyset with a fresh key added and made primary; the old keys stay to open files."""
    from amparo.store.evidence_cipher import handle_of

    keyset = _parse(keyset_json)
    fresh = _parse(new_keyset()).key[0]
    while fresh.key_id in {key.key_id for key in keyset.key}:
        fresh = _parse(new_keyset()).key[0]
    keyset.key.append(fresh)
    keyset.primary_key_id = fresh.key_id
    return _serialize(handle_of(keyset))


def primary_only(keyset_json: str) -> str:
    """The keyset less every key but the primary (once no file is sealed under them)."""
    from amparo.store.evidence_cipher import handle_of

    keyset = _parse(keyset_json)
    kept = [key for key in keyset.key if key.key_id == keyset.primary_key_id]
    del keyset.key[:]
    keyset.key.extend(kept)
    return _serialize(handle_of(keyset))


def _parse(keyset_json: str) -> Any:
    import tink
    from tink import secret_key_access

    from amparo.store.evidence_cipher import keyset_proto, streaming_template

    streaming_template()  # registers the key manager
    try:
        handle = tink.json_proto_keyset_format.parse(keyset_json, secret_key_access.TOKEN)
    except tink.TinkError as error:
        raise EvidenceKeyError(f"the evidence keyset cannot be read: {error}") from error
    return keyset_proto(handle)


def _serialize(handle: Any) -> str:
    import tink
    from tink import secret_key_access

    return tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN)


def _read_private(path: Path) -> str:
    return read_private(path, "the evidence keyset", EvidenceKeyError)


# --- the passphrase: Argon2id, then Tink's own encrypted-keyset format ----------------------


def _seal(keyset_json: str) -> str:
    import tink

    salt = secrets.token_bytes(16)
    kdf = {"algorithm": "argon2id", "salt": salt.hex(), **ARGON2}
    handle = tink.json_proto_keyset_format.parse(keyset_json, _token())
    sealed = tink.json_proto_keyset_format.serialize_encrypted(
        handle, _passphrase_aead(kdf), SEALED_KEYSET_DATA
    )
    return json.dumps({"kdf": kdf, "keyset": sealed}, indent=2) + "\n"


def _open_sealed(text: str, path: Path) -> str:
    import tink

    try:
        document = json.loads(text)
        kdf, sealed = document["kdf"], document["keyset"]
    except (ValueError, KeyError, TypeError) as error:
        raise EvidenceKeyError(f"the sealed evidence keyset {path} is damaged") from error
    try:
        handle = tink.json_proto_keyset_format.parse_encrypted(
            sealed, _passphrase_aead(kdf), SEALED_KEYSET_DATA
        )
    except tink.TinkError as error:
        raise EvidenceKeyError(
            f"${PASSPHRASE_VARIABLE} does not open the evidence keyset {path} (wrong passphrase?)"
        ) from error
    return _serialize(handle)


def _passphrase_aead(kdf: dict[str, Any]) -> Any:
    """An AES-256-GCM AEAD (Tink) keyed by Argon2id of the passphrase."""
    from argon2.low_level import Type, hash_secret_raw
    from tink import aead
    from tink.proto import aes_gcm_pb2, tink_pb2

    from amparo.store.evidence_cipher import handle_of

    passphrase = os.environ.get(PASSPHRASE_VARIABLE)
    if not passphrase:
        raise EvidenceKeyError(f"the evidence keyset is sealed: set ${PASSPHRASE_VARIABLE}")
    if kdf.get("algorithm") != "argon2id":
        raise EvidenceKeyError(f"unknown key derivation {kdf.get('algorithm')!r}")
    raw = hash_secret_raw(
        passphrase.encode("utf-8"),
        bytes.fromhex(kdf["salt"]),
        time_cost=int(kdf["time_cost"]),
        memory_cost=int(kdf["memory_cost"]),
        parallelism=int(kdf["parallelism"]),
        hash_len=32,
        type=Type.ID,
    )
    aead.register()
    key = tink_pb2.Keyset.Key(
        key_data=tink_pb2.KeyData(
            type_url="type.googleapis.com/google.crypto.tink.AesGcmKey",
            value=aes_gcm_pb2.AesGcmKey(version=0, key_value=raw).SerializeToString(),
            key_material_type=tink_pb2.KeyData.SYMMETRIC,
        ),
        status=tink_pb2.ENABLED,
        key_id=1,
        output_prefix_type=tink_pb2.RAW,
    )
    return handle_of(tink_pb2.Keyset(primary_key_id=1, key=[key])).primitive(aead.Aead)


def _token() -> Any:
    from tink import secret_key_access

    return secret_key_access.TOKEN
