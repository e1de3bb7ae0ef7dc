"""Benign synthetic CyberTipline operations for demos, tests and benchmarks.

No real material, people or addresses: pictures are scikit-image sample photos and generated
drawings, people and platforms are invented, network addresses come from reserved ranges.
"""

from amparo.demo.bad_packages import BAD_PACKAGE_WRITERS, write_bad_packages
from amparo.demo.generator import generate_operation
from amparo.demo.images import MediaItem, build_media_pool
from amparo.demo.truth import ExpectedFile, ExpectedIpEvent, ExpectedReport, GeneratedOperation

BAD_PACKAGE_KINDS = tuple(BAD_PACKAGE_WRITERS)

__all__ = [
    "BAD_PACKAGE_KINDS",
    "ExpectedFile",
    "ExpectedIpEvent",
    "ExpectedReport",
    "GeneratedOperation",
    "MediaItem",
    "build_media_pool",
    "generate_operation",
    "write_bad_packages",
]
