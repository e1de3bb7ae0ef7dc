"""The EXIF an investigator uses: camera and its serial number, when, where, as JSON-ready data.

Keys (present only when the file holds a usable value): ``camera_make``, ``camera_model``,
``camera_serial`` (BodySerialNumber 0xA431, else the DNG CameraSerialNumber 0xC62F),
``camera_owner``, ``lens_make``, ``lens_model``, ``lens_serial``, ``software``,
``taken_at`` (DateTimeOriginal as ISO 8601, with OffsetTimeOriginal when given) or
``taken_at_raw`` (the text as found, when it is not a valid date), ``gps_latitude`` and
``gps_longitude`` (decimal degrees, south and west negative; when the hemisphere reference
GPSLatitudeRef/GPSLongitudeRef is missing or not N/S, E/W the sign is unknown, so only
``gps_latitude_raw``/``gps_longitude_raw`` is given: the unsigned decimal degrees, never a
guessed hemisphere), ``gps_altitude`` (metres, below
sea level negative), ``orientation`` (1-8), ``image_width`` and ``image_height`` (as the EXIF
says, which may differ from the pixels), and ``exif_error`` when the EXIF block is damaged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from PIL import Image
from PIL.ExifTags import IFD

_MAKE, _MODEL, _SOFTWARE, _ORIENTATION = 0x010F, 0x0110, 0x0131, 0x0112
_IMAGE_WIDTH, _IMAGE_LENGTH, _DNG_CAMERA_SERIAL = 0x0100, 0x0101, 0xC62F
_DATE_TIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
_PIXEL_X, _PIXEL_Y = 0xA002, 0xA003
_OWNER, _BODY_SERIAL, _LENS_MAKE, _LENS_MODEL, _LENS_SERIAL = 0xA430, 0xA431, 0xA433, 0xA434, 0xA435
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON, _GPS_ALT_REF, _GPS_ALT = 1, 2, 3, 4, 5, 6
_MAX_TEXT = 256
_OFFSET_PATTERN = re.compile(r"[+-]\d\d:\d\d")
Tags = Mapping[int, Any]


def exif_metadata(image: Image.Image) -> dict[str, Any]:
    """The metadata above from ``image``'s EXIF; damage is reported, never raised."""
    try:
        exif = image.getexif()
        return _metadata(exif, exif.get_ifd(IFD.Exif), exif.get_ifd(IFD.GPSInfo))
    except Exception as error:  # hostile EXIF can fail in any of Pillow's parsers
        return {"exif_error": f"EXIF block is damaged ({type(error).__name__})"}


def _metadata(base: Tags, sub: Tags, gps: Tags) -> dict[str, Any]:
    fields = {
        "camera_make": _text(base.get(_MAKE)),
        "camera_model": _text(base.get(_MODEL)),
        "camera_serial": _first_text(
            sub.get(_BODY_SERIAL), base.get(_BODY_SERIAL), base.get(_DNG_CAMERA_SERIAL)
        ),
        "camera_owner": _text(sub.get(_OWNER)),
        "lens_make": _text(sub.get(_LENS_MAKE)),
        "lens_model": _text(sub.get(_LENS_MODEL)),
        "lens_serial": _text(sub.get(_LENS_SERIAL)),
        "software": _text(base.get(_SOFTWARE)),
        **_taken_at(sub),
        **_gps_position(gps),
        "orientation": _orientation(base.get(_ORIENTATION)),
        "image_width": _first_integer(sub.get(_PIXEL_X), base.get(_IMAGE_WIDTH)),
        "image_height": _first_integer(sub.get(_PIXEL_Y), base.get(_IMAGE_LENGTH)),
    }
    return {key: value for key, value in fields.items() if value is not None}


def _taken_at(sub: Tags) -> dict[str, str]:
    raw = _text(sub.get(_DATE_TIME_ORIGINAL))
    if raw is None:
        return {}
    try:
        taken = datetime.strptime(raw, "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return {"taken_at_raw": raw}
    offset = _text(sub.get(_OFFSET_TIME_ORIGINAL))
    if offset is not None and _OFFSET_PATTERN.fullmatch(offset):
        taken += offset
    return {"taken_at": taken}


def _gps_position(gps: Tags) -> dict[str, float]:
    position = {
        **_coordinate("gps_latitude", gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF), "NS", 90.0),
        **_coordinate("gps_longitude", gps.get(_GPS_LON), gps.get(_GPS_LON_REF), "EW", 180.0),
        "gps_altitude": _altitude(gps.get(_GPS_ALT), gps.get(_GPS_ALT_REF)),
    }
    return {key: value for key, value in position.items() if value is not None}


def _coordinate(key: str, value: Any, ref: Any, refs: str, bound: float) -> dict[str, float]:
    """``{key: signed decimal degrees}``; ``{key_raw: unsigned}`` when the hemisphere is unknown.

    ``refs`` is the positive then the negative reference letter (``"NS"``, ``"EW"``).
    """
    if not isinstance(value, tuple) or len(value) != 3:
        return {}
    degrees, minutes, seconds = (_number(part) for part in value)
    if degrees is None or minutes is None or seconds is None:
        return {}
    decimal = degrees + minutes / 60 + seconds / 3600
    if decimal > bound:
        return {}
    hemisphere = (_text(ref) or "").upper()
    if hemisphere not in refs or len(hemisphere) != 1:
        return {f"{key}_raw": round(decimal, 7)}  # no hemisphere: the sign is not guessed
    sign = -1 if hemisphere == refs[1] else 1
    return {key: round(sign * decimal, 7)}


def _altitude(value: Any, ref: Any) -> float | None:
    metres = _number(value)
    if metres is None:
        return None
    below_sea_level = ref in (1, b"\x01")
    return round(-metres if below_sea_level else metres, 2)


def _orientation(value: Any) -> int | None:
    orientation = _first_integer(value)
    return orientation if orientation is not None and 1 <= orientation <= 8 else None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _first_integer(*values: Any) -> int | None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _first_text(*values: Any) -> str | None:
    return next((text for text in map(_text, values) if text is not None), None)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", " ").strip()
    return cleaned[:_MAX_TEXT] or None
