"""Benign synthetic CyberTipline operations for demos, tests and benchmarks.

No real material, people or addresses: pictures are scikit-image sample photos and generated
drawings, people and platforms are invented, network addresses come from reserved ranges.
"""

from amparo.demo.bad_packages import BAD_PACKAGE_WRITERS, write_bad_packages
from amparo.demo.cast import MediaCast, build_media_cast
from amparo.demo.generator import generate_operation
from amparo.demo.images import MediaItem, build_media_pool
from amparo.demo.truth import (
    KNOWN,
    KNOWN_VARIANT,
    MEDIA_STATUSES,
    NEW,
    NON_PERTINENT,
    UNPROCESSABLE,
    ExpectedChatExport,
    ExpectedChatFile,
    ExpectedDeviceFile,
    ExpectedFile,
    ExpectedIpEvent,
    ExpectedMedia,
    ExpectedReport,
    GeneratedOperation,
    HashSetEntry,
)

BAD_PACKAGE_KINDS = tuple(BAD_PACKAGE_WRITERS)

__all__ = [
    "BAD_PACKAGE_KINDS",
    "KNOWN",
    "KNOWN_VARIANT",
    "MEDIA_STATUSES",
    "NEW",
    "NON_PERTINENT",
    "UNPROCESSABLE",
    "ExpectedChatExport",
    "ExpectedChatFile",
    "ExpectedDeviceFile",
    "ExpectedFile",
    "ExpectedIpEvent",
    "ExpectedMedia",
    "ExpectedReport",
    "GeneratedOperation",
    "HashSetEntry",
    "MediaCast",
    "MediaItem",
    "build_media_cast",
    "build_media_pool",
    "generate_operation",
    "write_bad_packages",
]
