"""Synthetic, benign CyberTipline operations: report packages on disk plus their ground truth.

The same seed always gives the same bytes: every random choice comes from a seeded stream,
timestamps are fixed and zip headers carry a constant date. Media play roles (known, known
variant, new series, unrelated, non-pertinent, unprocessable; see ``cast``; videos and animated
pictures, see ``clips``) and the ground truth says what classifying each file against the
generated hash sets must conclude.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC
from itertools import accumulate
from pathlib import Path

import numpy as np

from amparo.demo.cast import MediaCast, build_media_cast
from amparo.demo.chats import chat_pictures, plan_phones, write_chat_exports
from amparo.demo.clips import KNOWN_VIDEOS_CSV, Clips, build_clips, write_video_hash_set
from amparo.demo.device import device_layout, write_device_tree
from amparo.demo.hashset import write_hash_set
from amparo.demo.packages import package_entries, package_path, write_package
from amparo.demo.people import PLATFORMS, WHATSAPP, IpAllocator, build_account_pool
from amparo.demo.phone_shapes import PhoneWriter, WrittenPhones
from amparo.demo.plan import OPERATION_START, IpEvent, ReportPlan, ReportPlanner, Upload
from amparo.demo.truth import (
    ExpectedChatExport,
    ExpectedDeviceFile,
    ExpectedFile,
    ExpectedIpEvent,
    ExpectedMedia,
    ExpectedReport,
    GeneratedOperation,
)
from amparo.model import account_key, platform_slug

REPORT_NUMBER_BASE = 190_000_000
NUMBERS_PER_SEED = 100_000
MAX_NUMBER_GAP = 37
ACCOUNTS_PER_REPORT = 0.6
MEDIA_PER_REPORT = 1.5
MIN_ACCOUNTS = 5
MIN_MEDIA = 4  # a report uploads up to four distinct files
PROXY_COUNT = 4
HASHSETS_DIR = "hashsets"
DEVICES_DIR = "devices"
CHATS_DIR = "chats"
CLEAN, WRITTEN = "clean", "written"  # how phone numbers are written (phone_shapes)


def generate_operation(
    out_dir: Path,
    *,
    reports: int = 50,
    seed: int = 0,
    zip_every: int = 3,
    hash_sets: bool = False,
    device_tree: bool = False,
    chat_exports: bool = False,
    videos: bool = False,
    messenger_reports: bool = False,
    phone_shapes: str = CLEAN,
) -> GeneratedOperation:
    """Write ``reports`` packages under ``out_dir``; every ``zip_every``-th one as a zip.

    ``hash_sets`` also writes ``out_dir/hashsets/*.csv``, ``device_tree`` a phone dump in
    ``out_dir/devices/phone-1`` and ``chat_exports`` the WhatsApp exports of two seized phones
    in ``out_dir/chats/phone-1`` and ``phone-2`` (see ``chats``). ``videos`` (with
    ``device_tree``) puts generated videos, a sticker and a GIF on the phone, and with
    ``hash_sets`` writes ``known_videos.csv`` (see ``clips``). Any of them puts more than
    report packages in ``out_dir``: ingest ``operation.packages`` then, not ``out_dir`` as a
    whole. ``messenger_reports`` adds WhatsApp, whose user ids are phone numbers, to the
    reporting platforms; ``phone_shapes`` ``"written"`` writes numbers and those ids in the
    shapes platforms use (``phone_shapes``), ``"clean"`` in E.164 or beside their calling code.
    Both make the same operation from the same seed: only how numbers are written differs.
    """
    if reports < 0 or zip_every < 0:
        raise ValueError("reports and zip_every must not be negative")
    if videos and not device_tree:
        raise ValueError("the demo's videos are on the seized phone: they need device_tree")
    if phone_shapes not in (CLEAN, WRITTEN):
        raise ValueError(f"phone_shapes is {CLEAN!r} or {WRITTEN!r}, not {phone_shapes!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    cast = build_cast(seed, reports)
    clips = _clips(seed, cast) if videos else Clips({}, {}, ())
    cast = replace(cast, roles={**cast.roles, **clips.roles})
    planner = planner_for(seed, reports, cast, messenger=messenger_reports)
    plans = [planner.plan(number) for number in report_numbers(seed, reports)]
    phones = WrittenPhones(random_stream(seed, "phone-shapes")) if phone_shapes == WRITTEN else None
    expected = tuple(
        _write_report(out_dir, plan, as_zip=_is_zip(index, zip_every), phones=phones)
        for index, plan in enumerate(plans)
    )
    device_files = _write_device(out_dir / DEVICES_DIR, cast, plans, clips) if device_tree else ()
    chats = _write_chats(out_dir / CHATS_DIR, seed, cast, plans) if chat_exports else ()
    return GeneratedOperation(
        root=out_dir,
        seed=seed,
        reports=expected,
        media_roles=_roles_of_files_written(cast, expected, device_files, chats),
        hash_sets=cast.hash_sets,
        hashset_files=_write_hash_sets(out_dir / HASHSETS_DIR, cast, clips) if hash_sets else {},
        device_files=device_files,
        chat_exports=chats,
        personas={
            account_key(
                platform_slug(person.account.platform.name), person.account.user_id
            ): person.account.persona
            for plan in plans
            for person in plan.persons
        },
    )


def random_stream(seed: int, name: str) -> random.Random:
    """An independent, reproducible random stream per concern of one seed."""
    return random.Random(f"amparo-demo/{seed}/{name}")


def build_cast(seed: int, reports: int) -> MediaCast:
    """The operation's media in all their roles, about ``MEDIA_PER_REPORT`` per report."""
    media_count = max(MIN_MEDIA, round(reports * MEDIA_PER_REPORT))
    rng = np.random.default_rng(random_stream(seed, "media").getrandbits(64))
    return build_media_cast(media_count, rng)


def build_planner(seed: int, reports: int) -> ReportPlanner:
    """A planner whose reports hold only well-formed media: nothing is featured, so no bad media."""
    return planner_for(seed, reports, replace(build_cast(seed, reports), featured=()))


def planner_for(
    seed: int, reports: int, cast: MediaCast, *, messenger: bool = False
) -> ReportPlanner:
    """Pools sized for ``reports``: 3-4 platforms (WhatsApp first with ``messenger``), accounts,
    proxies; media from ``cast``."""
    rng = random_stream(seed, "pools")
    platforms = tuple(rng.sample(PLATFORMS, rng.choice((3, 4))))
    if messenger:
        platforms = (WHATSAPP, *platforms[:3])
    ips = IpAllocator(rng)
    account_count = max(MIN_ACCOUNTS, round(reports * ACCOUNTS_PER_REPORT))
    accounts = build_account_pool(rng, platforms, account_count, ips, OPERATION_START.date())
    proxy_ips = tuple(ips.ipv4() for _ in range(PROXY_COUNT))
    reports_rng = random_stream(seed, "reports")
    return ReportPlanner(reports_rng, accounts, cast.drawable, proxy_ips, cast.featured)


def report_numbers(seed: int, count: int) -> list[int]:
    """Distinct, increasing numbers with gaps, in a block of numbers chosen by the seed."""
    rng = random_stream(seed, "numbers")
    start = REPORT_NUMBER_BASE + (seed % 100) * NUMBERS_PER_SEED
    gaps = (rng.randint(1, MAX_NUMBER_GAP) for _ in range(count))
    return list(accumulate(gaps, initial=start))[1:]


def _is_zip(index: int, zip_every: int) -> bool:
    return zip_every > 0 and (index + 1) % zip_every == 0


def _clips(seed: int, cast: MediaCast) -> Clips:
    return build_clips(cast, np.random.default_rng(random_stream(seed, "clips").getrandbits(64)))


def _write_device(
    devices_dir: Path, cast: MediaCast, plans: list[ReportPlan], clips: Clips
) -> tuple[ExpectedDeviceFile, ...]:
    """The device's own media and clips, plus a copy of the first reported file."""
    reported = plans[0].uploads[0].media if plans else None
    layout = device_layout(cast.device_media, reported) | clips.layout
    return write_device_tree(devices_dir, layout, cast.roles)


def _write_chats(
    chats_dir: Path, seed: int, cast: MediaCast, plans: list[ReportPlan]
) -> tuple[ExpectedChatExport, ...]:
    """Two seized phones' WhatsApp exports: reported people sharing the operation's pictures."""
    persons = [person for plan in plans for person in plan.persons]
    people = list(dict.fromkeys(person.account.persona for person in persons))
    phone_shown = {person.account.persona for person in persons if person.shows_phone}
    reported = {upload.media.sha256: upload.media for plan in plans for upload in plan.uploads}
    pictures = chat_pictures(list(reported.values()), cast.device_media, cast.roles)
    phones = plan_phones(random_stream(seed, "chats"), people, phone_shown, pictures)
    return write_chat_exports(chats_dir, phones)


def _write_hash_sets(hashsets_dir: Path, cast: MediaCast, clips: Clips) -> dict[str, Path]:
    written = {
        name: write_hash_set(hashsets_dir / name, entries)
        for name, entries in cast.hash_sets.items()
    }
    if clips.known_videos:
        path = hashsets_dir / KNOWN_VIDEOS_CSV
        written[KNOWN_VIDEOS_CSV] = write_video_hash_set(path, clips.known_videos)
    return written


def _roles_of_files_written(
    cast: MediaCast,
    reports: tuple[ExpectedReport, ...],
    device_files: tuple[ExpectedDeviceFile, ...],
    chats: tuple[ExpectedChatExport, ...],
) -> dict[str, ExpectedMedia]:
    reported = (file.sha256 for report in reports for file in report.files)
    shared = (file.sha256 for chat in chats for file in chat.attachments)
    written = {*reported, *(file.sha256 for file in device_files), *shared}
    return {sha256: cast.roles[sha256] for sha256 in sorted(written)}


def _write_report(
    out_dir: Path, plan: ReportPlan, *, as_zip: bool, phones: PhoneWriter | None = None
) -> ExpectedReport:
    path = package_path(out_dir, plan.number, as_zip=as_zip)
    return expected_report(plan, write_package(path, package_entries(plan, phones)))


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
