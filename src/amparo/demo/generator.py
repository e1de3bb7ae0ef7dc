"""Synthetic, benign CyberTipline operations: report packages on disk plus their ground truth.

The same seed always gives the same bytes: every random choice comes from a seeded stream,
timestamps are fixed and zip headers carry a constant date.
"""

from __future__ import annotations

import random
from datetime import UTC
from itertools import accumulate
from pathlib import Path

import numpy as np

from amparo.demo.images import build_media_pool
from amparo.demo.packages import package_entries, package_path, write_package
from amparo.demo.people import PLATFORMS, IpAllocator, build_account_pool
from amparo.demo.plan import OPERATION_START, IpEvent, ReportPlan, ReportPlanner, Upload
from amparo.demo.truth import ExpectedFile, ExpectedIpEvent, ExpectedReport, GeneratedOperation
from amparo.model import account_key, platform_slug

REPORT_NUMBER_BASE = 190_000_000
NUMBERS_PER_SEED = 100_000
MAX_NUMBER_GAP = 37
ACCOUNTS_PER_REPORT = 0.6
MEDIA_PER_REPORT = 1.5
MIN_ACCOUNTS = 5
MIN_MEDIA = 4  # a report uploads up to four distinct files
PROXY_COUNT = 4


def generate_operation(
    out_dir: Path, *, reports: int = 50, seed: int = 0, zip_every: int = 3
) -> GeneratedOperation:
    """Write ``reports`` packages under ``out_dir``; every ``zip_every``-th one as a zip."""
    if reports < 0 or zip_every < 0:
        raise ValueError("reports and zip_every must not be negative")
    out_dir.mkdir(parents=True, exist_ok=True)
    planner = build_planner(seed, reports)
    expected = [
        _write_report(out_dir, planner.plan(number), as_zip=_is_zip(index, zip_every))
        for index, number in enumerate(report_numbers(seed, reports))
    ]
    return GeneratedOperation(root=out_dir, seed=seed, reports=tuple(expected))


def random_stream(seed: int, name: str) -> random.Random:
    """An independent, reproducible random stream per concern of one seed."""
    return random.Random(f"amparo-demo/{seed}/{name}")


def build_planner(seed: int, reports: int) -> ReportPlanner:
    """Pools sized for ``reports``: 3-4 platforms, accounts, proxies and media."""
    rng = random_stream(seed, "pools")
    platforms = tuple(rng.sample(PLATFORMS, rng.choice((3, 4))))
    ips = IpAllocator(rng)
    account_count = max(MIN_ACCOUNTS, round(reports * ACCOUNTS_PER_REPORT))
    accounts = build_account_pool(rng, platforms, account_count, ips, OPERATION_START.date())
    proxy_ips = tuple(ips.ipv4() for _ in range(PROXY_COUNT))
    media_count = max(MIN_MEDIA, round(reports * MEDIA_PER_REPORT))
    media = build_media_pool(media_count, np.random.default_rng(rng.getrandbits(64)))
    return ReportPlanner(random_stream(seed, "reports"), accounts, media, proxy_ips)


def report_numbers(seed: int, count: int) -> list[int]:
    """Distinct, increasing numbers with gaps, in a block of numbers chosen by the seed."""
    rng = random_stream(seed, "numbers")
    start = REPORT_NUMBER_BASE + (seed % 100) * NUMBERS_PER_SEED
    gaps = (rng.randint(1, MAX_NUMBER_GAP) for _ in range(count))
    return list(accumulate(gaps, initial=start))[1:]


def _is_zip(index: int, zip_every: int) -> bool:
    return zip_every > 0 and (index + 1) % zip_every == 0


def _write_report(out_dir: Path, plan: ReportPlan, *, as_zip: bool) -> ExpectedReport:
    path = package_path(out_dir, plan.number, as_zip=as_zip)
    return expected_report(plan, write_package(path, package_entries(plan)))


def expected_report(plan: ReportPlan, package: Path) -> ExpectedReport:
    slug = platform_slug(plan.platform.name)
    group_ids = (person.group_id for person in plan.persons if person.group_id)
    return ExpectedReport(
        number=str(plan.number),
        package=package,
        platform=plan.platform.name,
        accounts=tuple(account_key(slug, person.account.user_id) for person in plan.persons),
        ip_events=tuple(_expected_ip_event(event) for event in plan.ip_events),
        files=tuple(_expected_file(upload) for upload in plan.uploads),
        groups=tuple(dict.fromkeys(f"{slug}:{group_id}" for group_id in group_ids)),
    )


def _expected_ip_event(event: IpEvent) -> ExpectedIpEvent:
    return ExpectedIpEvent(event.ip, event.port, event.at.astimezone(UTC), event.event)


def _expected_file(upload: Upload) -> ExpectedFile:
    media = upload.media
    return ExpectedFile(
        upload.file_id, upload.file_name, media.sha256, media.md5, media.sha1, media.size
    )
