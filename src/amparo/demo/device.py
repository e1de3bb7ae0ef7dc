"""A seized phone's dump: camera and messenger folders holding some of the operation's pictures.

The layout mimics an Android extraction (``DCIM/Camera``, ``WhatsApp/Media/WhatsApp Images``
with its ``Sent`` subfolder, ``Pictures/Screenshots``, ``Download``, a ``notes.txt``). Files are
written in a fixed order with fixed names, so the same operation gives the same tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from amparo.demo.images import BENIGN_NOTES, MediaItem
from amparo.demo.truth import ExpectedDeviceFile, ExpectedMedia

DEVICE_NAME = "phone-1"
DEVICE_START = datetime(2024, 1, 1, 12, 0, 0)
NOTES_PATH = "notes.txt"
WHATSAPP_IMAGES = "WhatsApp/Media/WhatsApp Images"

PictureName = Callable[[datetime, int, str], str]


def notes_file(rng: np.random.Generator) -> MediaItem:
    """The phone owner's to-do notes: a few benign lines."""
    lines = rng.choice(BENIGN_NOTES, size=3, replace=False)
    return MediaItem.from_bytes(("\n".join(lines) + "\n").encode(), "txt")


def _camera(at: datetime, number: int, extension: str) -> str:
    return f"DCIM/Camera/IMG_{at:%Y%m%d_%H%M%S}.{extension}"


def _whatsapp_received(at: datetime, number: int, extension: str) -> str:
    return f"{WHATSAPP_IMAGES}/IMG-{at:%Y%m%d}-WA{number:04d}.{extension}"


def _whatsapp_sent(at: datetime, number: int, extension: str) -> str:
    return f"{WHATSAPP_IMAGES}/Sent/IMG-{at:%Y%m%d}-WA{number:04d}.{extension}"


def _screenshot(at: datetime, number: int, extension: str) -> str:
    return f"Pictures/Screenshots/Screenshot_{at:%Y%m%d-%H%M%S}.{extension}"


def _download(at: datetime, number: int, extension: str) -> str:
    return f"Download/received_{number:03d}.{extension}"


PICTURE_FOLDERS: tuple[PictureName, ...] = (
    _camera, _whatsapp_received, _whatsapp_sent, _screenshot,
)  # fmt: skip


def device_layout(media: Sequence[MediaItem], reported: MediaItem | None) -> dict[str, MediaItem]:
    """Relative path -> file: pictures spread over the folders, notes, a reported file's copy."""
    layout: dict[str, MediaItem] = {}
    pictures = [item for item in media if item.is_picture]
    for number, item in enumerate(pictures):
        name = PICTURE_FOLDERS[number % len(PICTURE_FOLDERS)]
        layout[name(_taken_at(number), number + 1, item.extension)] = item
    layout.update((NOTES_PATH, item) for item in media if not item.is_picture)
    if reported is not None:
        layout[_download(_taken_at(len(pictures)), 1, reported.extension)] = reported
    return layout


def _taken_at(number: int) -> datetime:
    return DEVICE_START + timedelta(days=number, minutes=17 * number)


def write_device_tree(
    devices_dir: Path, layout: Mapping[str, MediaItem], roles: Mapping[str, ExpectedMedia]
) -> tuple[ExpectedDeviceFile, ...]:
    """Write ``layout`` under ``devices_dir/phone-1`` and describe every file written."""
    root = devices_dir / DEVICE_NAME
    return tuple(
        _write_file(root, relative_path, item, roles[item.sha256].status)
        for relative_path, item in layout.items()
    )


def _write_file(root: Path, relative_path: str, item: MediaItem, status: str) -> ExpectedDeviceFile:
    path = root / relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(item.data)
    return ExpectedDeviceFile(DEVICE_NAME, relative_path, path, item.sha256, item.size, status)
