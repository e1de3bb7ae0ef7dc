"""What an input is, decided in one place: every path goes to the kind of input it is.

``ingest_inputs`` takes paths (inputs, or folders of them) and one ``IngestOptions`` holding what
the inputs themselves do not say: the seized device they come from, the phone's time zone and
owner. Each kind of input can ``detect`` its own; a path no kind claims is read as a report
package, which quarantines it with the reason when it is none. The command line and the demo
both call ``ingest_inputs``; neither decides what an input is.

Kinds, in the order they are asked (the first that claims a path takes it):

* Telegram Desktop export: a folder holding ``result.json``, a lone ``result.json``, or a zip
  with a ``result.json`` and no ``report.xml``;
* WhatsApp chat export: a ``.txt``, or a zip holding a ``.txt`` and no ``report.xml``;
* CyberTipline report package: a folder or zip with ``report.xml`` (and anything else).

With ``IngestOptions.device`` every path is instead the file tree (folder or zip) of that
seized device. Inputs are ingested kind by kind: chats, Telegram exports, report packages.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from amparo.intake.chat import ingest_chat_export, looks_like_chat_export
from amparo.intake.device import ingest_device_tree
from amparo.intake.ingest import (
    FoundLink,
    IngestSummary,
    discover,
    ingest_package,
    quarantine_link,
)
from amparo.intake.package import REPORT_XML
from amparo.intake.progress import IngestProgress
from amparo.intake.telegram import ingest_telegram_export, looks_like_telegram_export
from amparo.intake.writer import KnownIds
from amparo.workspace import Workspace


@dataclass(frozen=True)
class IngestOptions:
    """What the inputs do not say themselves; every field may stay unknown (None).

    ``device``: ingest every path as the file tree of this seized device. ``zone``: the time
    zone the phone was set to (chat exports). ``owner``: the phone owner's international
    number; ``owner_name``: the author name a chat export gives the owner's own lines.
    """

    device: str | None = None
    zone: tzinfo | None = None
    owner: str | None = None
    owner_name: str | None = None

    def __post_init__(self) -> None:
        if self.owner_name is not None and self.owner is None:
            raise ValueError("the owner's name needs the owner's phone number")


Ingest = Callable[[Workspace, Path, IngestOptions, KnownIds], IngestSummary]


@dataclass(frozen=True)
class InputType:
    """A kind of input: its name, how to recognise one, and how to ingest one."""

    name: str
    detect: Callable[[Path], bool]
    ingest: Ingest


def looks_like_report_package(path: Path) -> bool:
    """A folder or zip with ``report.xml`` at its top."""
    if path.is_dir():
        return (path / REPORT_XML).is_file()
    if path.suffix.lower() != ".zip" or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return REPORT_XML in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def looks_like_device_tree(path: Path) -> bool:
    """A folder or zip: any of them can be a device's files, so only ``device`` decides."""
    return path.is_dir() or zipfile.is_zipfile(path)


def _report_package(
    workspace: Workspace, path: Path, options: IngestOptions, known: KnownIds
) -> IngestSummary:
    summary = IngestSummary()
    ingest_package(workspace, path, summary, known=known)
    return summary


def _chat(
    workspace: Workspace, path: Path, options: IngestOptions, known: KnownIds
) -> IngestSummary:
    return ingest_chat_export(
        workspace, path, zone=options.zone, owner=options.owner, owner_name=options.owner_name
    )


def _telegram(
    workspace: Workspace, path: Path, options: IngestOptions, known: KnownIds
) -> IngestSummary:
    return ingest_telegram_export(workspace, path)


def _device(
    workspace: Workspace, path: Path, options: IngestOptions, known: KnownIds
) -> IngestSummary:
    if options.device is None:
        raise ValueError("a device tree needs the device's label")
    return ingest_device_tree(workspace, options.device, path)


REPORT_PACKAGE = InputType("report_package", looks_like_report_package, _report_package)
WHATSAPP_EXPORT = InputType("chat_export", looks_like_chat_export, _chat)
TELEGRAM_EXPORT = InputType("telegram_export", looks_like_telegram_export, _telegram)
DEVICE_TREE = InputType("device_tree", looks_like_device_tree, _device)

# Asked in this order; a path none claims is read as a report package (and quarantined if not).
DETECTION_ORDER = (REPORT_PACKAGE, TELEGRAM_EXPORT, WHATSAPP_EXPORT)
# Ingested in this order, so the summary lists chats, then Telegram exports, then packages.
INGEST_ORDER = (WHATSAPP_EXPORT, TELEGRAM_EXPORT, REPORT_PACKAGE)


def input_type(path: Path, options: IngestOptions | None = None) -> InputType:
    """The kind of input ``path`` is."""
    if options is not None and options.device is not None:
        return DEVICE_TREE
    return next((kind for kind in DETECTION_ORDER if kind.detect(path)), REPORT_PACKAGE)


def ingest_inputs(
    workspace: Workspace,
    paths: Iterable[Path],
    options: IngestOptions | None = None,
    *,
    progress: IngestProgress | None = None,
) -> IngestSummary:
    """Ingest every input at ``paths`` as the kind it is; each is ingested or quarantined."""
    options = options or IngestOptions()
    if options.device is not None:
        return _ingest_all(workspace, DEVICE_TREE, list(paths), options, progress)
    by_kind: dict[str, list[Path]] = {kind.name: [] for kind in INGEST_ORDER}
    summary = IngestSummary()
    for path in discover(paths):
        if isinstance(path, FoundLink):
            quarantine_link(workspace, path, summary)
        else:
            by_kind[input_type(path).name].append(path)
    for kind in INGEST_ORDER:
        summary.merge(_ingest_all(workspace, kind, by_kind[kind.name], options, progress))
    return summary


def _ingest_all(
    workspace: Workspace,
    kind: InputType,
    paths: list[Path],
    options: IngestOptions,
    progress: IngestProgress | None,
) -> IngestSummary:
    summary, known = IngestSummary(), KnownIds()
    if progress is not None and paths:
        progress.start(kind.name, len(paths))
    for path in paths:
        summary.merge(kind.ingest(workspace, path, options, known))
        if progress is not None:
            progress.advance(kind.name)
    return summary
