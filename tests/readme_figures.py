# ruff: noqa: RUF001 (the README writes multiplication signs and dashes: so must its quotes)
"""The benchmark figures the README quotes, and where in benchmarks/results/ each was measured.

Each row: README text with ``{}`` for each figure (the text before the first ``{}`` finds the
line), the results file, and one (key path, format, scale) per figure. A figure the README
quotes that was measured by hand, with no results file behind it, has no row here.
"""

from __future__ import annotations

from tests.readme_examples import count, figure, percent, value

TRIAGE = "triage_e2e.json"
QUIET = "triage_e2e_2000_quiet.json"
INTEROP = "pdq_interop.json"
WIDENED = "pdq_widened_search.json"
FIRST = "sizes/0/"
TENTH = "sizes/1/"
CSV, NCMEC, VICS = "formats/csv/", "formats/ncmec/", "formats/vics-media/"
VICS_CASES = "formats/vics-cases/"
IMPORTS, EARLIER_IMPORTS = "hashset_import.json", "hashset_import_round2.json"
BEFORE, AFTER = "baseline/", "new_at_baseline_size/"
ENCRYPTION = "summary/"


def spread(group: str, preparation: str) -> tuple[tuple[str, str, float], ...]:
    prefix = f"spread/{group}/{preparation}/"
    return value(prefix + "median"), value(prefix + "p99"), value(prefix + "max")


def recall(size: int, hasher: str) -> tuple[tuple[str, str, float], ...]:
    fast = f"recall/{size}/recall_fast_only/{hasher}/"
    amparo = f"recall/{size}/recall_amparo/{hasher}/"
    return (value(fast + "found"), value(fast + "of"), percent(fast + "recall", ".1f"),
            value(amparo + "found"), value(amparo + "of"), percent(amparo + "recall"))  # fmt: skip


def imported(fmt: str) -> tuple[tuple[str, str, float], ...]:
    """A row of the 1M table: before and after."""
    before, after = fmt + BEFORE, fmt + AFTER
    cpu, rss = "cpu_seconds_median", "peak_rss_mib_median"
    return (value(before + "file_mib"),
            count(before + "entries_per_second_median"), value(before + cpu, ".1f"),
            count(after + "entries_per_second_median"), value(after + cpu, ".1f"),
            count(before + "entries_per_cpu_second_median"),
            count(after + "entries_per_cpu_second_median"),
            value(before + rss), value(after + rss))  # fmt: skip


def imported_10m(fmt: str) -> tuple[tuple[str, str, float], ...]:
    """A row of the 10M table: one run after."""
    run = fmt + "new_10000000/"
    return (value(run + "file_mib"), count(run + "entries_per_second_median"),
            value(run + "seconds/0", ".1f"), value(run + "cpu_seconds_median", ".1f"),
            count(run + "entries_per_cpu_second_median"),
            value(run + "peak_rss_mib_median"))  # fmt: skip


def medians(prefix: str, spec: str) -> tuple[tuple[str, str, float], ...]:
    """A trial's median seconds before and after."""
    return tuple(value(f"{prefix}seconds_median_{side}", spec) for side in ("before", "after"))


def one_run(prefix: str) -> tuple[tuple[str, str, float], ...]:
    """One import run's entries/s, seconds and CPU-seconds."""
    return (
        count(prefix + "entries_per_second_median"),
        value(prefix + "seconds/0", ".1f"),
        value(prefix + "cpu_seconds_median", ".1f"),
    )


def encrypted(step: str) -> tuple[tuple[str, str, float], ...]:
    prefix = f"{ENCRYPTION}{step}/"
    clock = "wall_s" if step == "hash_workers" else "cpu_s"
    return (value(f"{prefix}median/off/{clock}", ".2f"), value(f"{prefix}median/on/{clock}", ".2f"),
            percent(prefix + "slowdown", ".1f" if step != "ingest" else ".0f"),
            percent(prefix + "paired_slowdown", ".1f" if step == "hash" else ".0f"))  # fmt: skip


def animation(kind: str) -> tuple[tuple[str, str, float], ...]:
    prefix = f"kinds/{kind}/"
    return (value(prefix + "frames_per_file"), value(prefix + "distinct_frames_hashed_median"),
            value(prefix + "ms_per_file_median/first_frame", ".1f"),
            value(prefix + "ms_per_file_median/naive", ".1f"),
            value(prefix + "ms_per_file_median/amparo", ".1f"),
            value(prefix + "amparo_ms_per_frame", ".1f"))  # fmt: skip


IMPORT_ROW = "| {} MiB | {} ({}) | **{}** ({}), target {} | {} → {} | {} → {} MiB |"
IMPORT_10M_ROW = "| {} MiB | **{}** ({} s) | {} | {} | {} MiB | {target}: met |"
FORMAT_ROWS = (
    (CSV, "| CSV ", "100,000"),
    (NCMEC, "sharing XML ", "100,000"),
    (VICS, "JSON `#Media` ", "50,000"),
    (VICS_CASES, "JSON `#Cases` ", "50,000"),
)


FIGURES = (
    # Device triage, end to end
    figure(
        "(no store, no database) | {} |", TRIAGE, value("baseline_files_per_second_median", ".1f")
    ),
    figure(
        "then `amparo process` | **{}** ({}×; target {}×) |",
        TRIAGE,
        value("amparo_files_per_second_median", ".1f"),
        value("ratio_of_medians", ".2f"),
        value("target_ratio"),
    ),
    figure(
        "ingest / hash stage / the other stages | {} / {} / {} s |",
        TRIAGE,
        *tuple(
            value(f"amparo_seconds_by_command/1/{step}")
            for step in ("ingest", "hash", "other_stages")
        ),
    ),
    figure(
        "(by round: {}×, {}×, {}×)",
        TRIAGE,
        *tuple(value(f"ratio_by_round/{n}", ".2f") for n in range(3)),
    ),
    figure(
        "baseline {} files/s, Amparo **{} files/s, {}×**",
        QUIET,
        value("baseline_files_per_second_median", ".1f"),
        value("amparo_files_per_second_median", ".1f"),
        value("ratio_of_medians", ".2f"),
    ),
    # Ingest
    figure("1,000 synthetic reports, {} files", "ingest.json", count("files")),
    figure(
        "XSD validation only | {} reports/s |",
        "ingest.json",
        count("baseline_reports_per_second_median"),
    ),
    figure(
        "evidence store, database | **{} reports/s** (target {})",
        "ingest.json",
        count("ingest_reports_per_second_median"),
        count("target_reports_per_second"),
    ),
    figure(
        "| ingest time / baseline time | {}× |",
        "ingest.json",
        value("ingest_over_baseline_time_ratio", ".1f"),
    ),
    # Hashing
    figure(
        "+ `pdqhash.compute` | {} images/s |",
        "hashing.json",
        value("baseline_files_per_second_median", ".1f"),
    ),
    figure(
        "box filter to ≤ 512 px | **{} images/s** ({}×; target {}) |",
        "hashing.json",
        value("amparo_files_per_second_median", ".1f"),
        value("speedup", ".1f"),
        value("target_files_per_second"),
    ),
    figure(
        "min / median / p99 / max | {} / {} / {} / {} bits ({} % within 16) |",
        "hashing.json",
        *(value(f"distance_to_baseline/{k}") for k in ("min", "median", "p99", "max")),
        percent("distance_to_baseline/within_16_bits"),
    ),
    figure(
        "reference implementations do) | {} / {} / {} / {} bits ({} % within 16) |",
        "hashing.json",
        *(value(f"distance_to_reference_style/{k}") for k in ("min", "median", "p99", "max")),
        percent("distance_to_reference_style/within_16_bits"),
    ),
    figure(
        "(`tests/fixtures/pdq`) | all {} within {} bits",
        "hashing.json",
        value("reference_vectors/files"),
        value("reference_vectors/max_distance"),
    ),
    figure(
        "only {} % within 16 bits of the reference-style hash",
        "hashing.json",
        percent("baseline_distance_to_reference_style/within_16_bits", ".1f"),
    ),
    # Animated pictures
    figure(
        "animated WebP 512 × 512 | {} ({}) | {} ms | {} ms | **{} ms** ({} ms a frame) |",
        "animated.json",
        *animation("sticker (WebP)"),
    ),
    figure(
        "| GIF 320 × 240 | {} ({}) | {} ms | {} ms | **{} ms** ({} ms a frame) |",
        "animated.json",
        *animation("GIF"),
    ),
    figure(
        "| APNG 320 × 240 | {} ({}) | {} ms | {} ms | **{} ms** ({} ms a frame) |",
        "animated.json",
        *animation("APNG"),
    ),
    figure(
        "and {}–{}× the first-frame-only analysis",
        "animated.json",
        value("kinds/APNG/amparo_vs_first_frame"),
        value("kinds/GIF/amparo_vs_first_frame"),
    ),
    # PDQ index
    figure(
        "| 1M hashes | **{} queries/s** | {} | {} |",
        "pdq_index.json",
        count(FIRST + "amparo/queries_per_second"),
        count(FIRST + "faiss_flat/queries_per_second"),
        count(FIRST + "faiss_multihash/queries_per_second"),
    ),
    figure(
        "| 10M hashes | **{} queries/s** (target {}) | {} | {} |",
        "pdq_index.json",
        count(TENTH + "amparo/queries_per_second"),
        count("targets/queries_per_second_at_10m"),
        count(TENTH + "faiss_flat/queries_per_second"),
        count(TENTH + "faiss_multihash/queries_per_second"),
    ),
    figure(
        "| 10M index memory | **{} GB** (target ≤ {} GB) | {} GB | +{} GB |",
        "pdq_index.json",
        value(TENTH + "amparo/index_bytes", ".2f", 1e-9),
        value("targets/index_bytes_at_10m", ".0f", 1e-9),
        value(TENTH + "faiss_flat/rss_growth_bytes", ".2f", 1e-9),
        value(TENTH + "faiss_multihash/rss_growth_bytes", ".1f", 1e-9),
    ),
    figure(
        "| 10M build | {} s | {} s | {} s |",
        "pdq_index.json",
        value(TENTH + "amparo/build_seconds", ".1f"),
        value(TENTH + "faiss_flat/build_seconds", ".1f"),
        value(TENTH + "faiss_multihash/build_seconds"),
    ),
    figure(
        "searched by brute force ({} µs an add",
        "pdq_index.json",
        value(TENTH + "amparo/add_one_ms_median", ".0f", 1000),
    ),
    # PDQ interoperability
    figure(
        "| 227 phone-size photos, 1-3 MP | {} / {} / {} ({} % within 50) | {} / {} / {} |",
        INTEROP,
        *spread("phone_photos_1_3mp", "full"),
        percent("spread/phone_photos_1_3mp/full/within_spread", ".1f"),
        *spread("phone_photos_1_3mp", "resized"),
    ),
    figure(
        "| 15 PDQ reference photos | {} / {} / {} | {} / {} / {} |",
        INTEROP,
        *spread("reference_photos", "full"),
        *spread("reference_photos", "resized"),
    ),
    figure(
        "| 106 demo photo variants (64-320 px) | {} / {} / {} | {} / {} / {} |",
        INTEROP,
        *spread("demo_photo_variants", "full"),
        *spread("demo_photo_variants", "resized"),
    ),
    figure(
        "| all 348 photos | **{} / {} / {}** | **{} / {} / {}** |",
        INTEROP,
        *spread("photos", "full"),
        *spread("photos", "resized"),
    ),
    figure(
        "fast PDQ lies within {} bits of the full-size-decode hash for {} % of photos (at most {}",
        INTEROP,
        value("preparation_spread"),
        percent("spread/photos/full/within_spread"),
        value("spread/photos/full/max"),
    ),
    figure(
        "Amparo uses a spread of {} (the p99): the candidate radius is then {} + {} = {}.",
        INTEROP,
        value("preparation_spread"),
        value("threshold"),
        value("preparation_spread"),
        value("candidate_radius"),
    ),
    figure(
        "| full-size decode + `pdqhash` (Meta HMA) | {} / {} ({} %) | **{} / {} ({} %)** |",
        INTEROP,
        *recall(1, "hma_pdqhash_full_decode"),
    ),
    figure(
        "| python-threatexchange `pdq_hasher` | {} / {} ({} %) | **{} / {} ({} %)** |",
        INTEROP,
        *recall(1, "threatexchange_pdq_hasher"),
    ),
    figure(
        "nearest to 512 x 512) | {} / {} ({} %) | **{} / {} ({} %)** |",
        INTEROP,
        *recall(1, "reference_resize_first"),
    ),
    figure(
        "Matches by preparation: {} `full`, {} `resized`, {} `fast`",
        INTEROP,
        *tuple(value(f"recall/1/matched_by_preparation/{k}") for k in ("full", "resized", "fast")),
    ),
    figure(
        "({} fillers became candidates at 10M, {} at 1M)",
        INTEROP,
        value("recall/1/filler_candidates"),
        value("recall/0/filler_candidates"),
    ),
    figure(
        "whole index, {} ms a photo at 1M entries and {} ms at 10M, against {} and {} ms",
        INTEROP,
        value("recall/0/widened_search_ms_per_photo", ".1f"),
        value("recall/1/widened_search_ms_per_photo", ".1f"),
        value("recall/0/fast_search_ms_per_photo", ".1f"),
        value("recall/1/fast_search_ms_per_photo", ".1f"),
    ),
    figure(
        "hashed again in full, {} ms median",
        INTEROP,
        value("recall_photos/full_precision_hashing_ms_median"),
    ),
    figure(
        "median of 3 interleaved rounds, load {}), the scan takes {} ms of CPU a photo at 10M "
        "entries on one core ({} ms wall; {} on both cores) against {} ms ({} ms wall) for the "
        "numpy brute force it replaced, and {} against {} ms at 1M",
        WIDENED,
        value("sizes/0/load_average_before_after/0", ".1f"),
        *(
            value(f"sizes/1/ms_per_photo/{key}", ".1f")
            for key in (
                "faiss_one_core/cpu_median",
                "faiss_one_core/wall_median",
                "faiss_usable_cores/wall_median",
                "numpy_scan_before/cpu_median",
                "numpy_scan_before/wall_median",
            )
        ),
        value("sizes/0/ms_per_photo/faiss_one_core/cpu_median", ".1f"),
        value("sizes/0/ms_per_photo/numpy_scan_before/cpu_median", ".1f"),
    ),
    figure(
        "random fillers come within {} bits of almost every photo ({} candidates for {} photos",
        "pdq_interop_spread60.json",
        value("candidate_radius"),
        count("recall/1/filler_candidates"),
        value("recall_photos/used"),
    ),
    # Entity resolution
    figure(
        "guard + evidence / clustering | {} / {} / {} / {} s | {} / {} / {} / {} s |",
        "resolution.json",
        *(
            value(f"sizes/{size}/phase_seconds_median/{phase}", ".1f")
            for size in (0, 1)
            for phase in ("build_input", "scoring", "guard", "clustering")
        ),
    ),
    figure(
        "| resolve, wall | **{} s** | **{} s** (target: under 3 minutes) |",
        "resolution.json",
        value(FIRST + "resolve_seconds_median", ".1f"),
        value(TENTH + "resolve_seconds_median", ".1f"),
    ),
    figure(
        "| pairwise precision / recall | **{} / {}** | **{} / {}** |",
        "resolution.json",
        value(FIRST + "precision", ".4f"),
        value(FIRST + "recall", ".3f"),
        value(TENTH + "precision", ".4f"),
        value(TENTH + "recall", ".3f"),
    ),
    figure(
        "(one weak kind of evidence alone) | {} | {} |",
        "resolution.json",
        count(FIRST + "pairs_rejected_by_guard"),
        count(TENTH + "pairs_rejected_by_guard"),
    ),
    figure(
        "| peak memory | {} GiB | {} GiB |",
        "resolution.json",
        value(FIRST + "peak_rss_gib", ".1f"),
        value(TENTH + "peak_rss_gib", ".1f"),
    ),
    figure(
        "device id | {} s, precision {}, recall {} | {} s, precision {}, recall {} |",
        "resolution.json",
        value(FIRST + "baseline/seconds_median", ".2f"),
        value(FIRST + "baseline/precision", ".1f"),
        value(FIRST + "baseline/recall", ".3f"),
        value(TENTH + "baseline/seconds_median", ".1f"),
        value(TENTH + "baseline/precision", ".1f"),
        value(TENTH + "baseline/recall", ".3f"),
    ),
    # IP lookup
    figure(
        "(no database): **{} lookups/s** against {} for geoip2fast",
        "geo.json",
        count("lookups_per_second_median/amparo"),
        count("lookups_per_second_median/geoip2fast"),
    ),
    figure(
        "alone names a wrong owner for {} % of them) and {} for parsing",
        "geo.json",
        percent(
            "coverage_of_the_addresses/geoip2fast_alone_owner_network_misses_the_address", ".1f"
        ),
        count("lookups_per_second_median/classify"),
    ),
    figure(
        "{} s ({} events/s) through the cached lookup service, {} s ({} events/s) into SQLite",
        "geo.json",
        value("locate_events_seconds_median", ".1f"),
        count("locate_events_per_second_median"),
        value("store_locate_wall_seconds", ".1f"),
        count("store_events_per_second"),
    ),
    # WhatsApp parsing
    figure(
        "(no store): **{} messages/s**, against {} for a",
        "whatsapp_parse.json",
        count("parse_messages_per_second_median"),
        count("baseline_messages_per_second_median"),
    ),
    figure(
        "costs {}× the naive split",
        "whatsapp_parse.json",
        value("parse_over_baseline_time_ratio", ".1f"),
    ),
    figure(
        "left out): {} messages/s",
        "whatsapp_parse.json",
        count("ingest_sqlite/messages_per_second_median"),
    ),
    # Hash-set import: the 1M table, the 10M one, and the trials (this round)
    *(
        figure(name + IMPORT_ROW.replace("target {}", f"target {target}"), IMPORTS, *imported(fmt))
        for fmt, name, target in FORMAT_ROWS
    ),
    *(
        figure(name + IMPORT_10M_ROW.replace("{target}", target), IMPORTS, *imported_10m(fmt))
        for fmt, name, target in FORMAT_ROWS
    ),
    figure(
        "which the drift affects least: medians {} s before and **{} s** after, {} and {}",
        IMPORTS,
        *medians(NCMEC + "interleaved_trial_1m/", ".2f"),
        value(NCMEC + "interleaved_trial_1m/cpu_seconds_median_before", ".1f"),
        value(NCMEC + "interleaved_trial_1m/cpu_seconds_median_after", ".1f"),
    ),
    figure(
        "free): medians {} s before and **{} s** after, that is {} and **{}** entries/s.",
        IMPORTS,
        *medians(NCMEC + "interleaved_trial_10m/", ".2f"),
        count(NCMEC + "interleaved_trial_10m/entries_per_second_median_before"),
        count(NCMEC + "interleaved_trial_10m/entries_per_second_median_after"),
    ),
    figure(
        "a 1M CSV took {} s, {} CPU-seconds and {} MiB before, {} s, {} CPU-seconds and {} MiB",
        EARLIER_IMPORTS,
        value(CSV + "baseline_1000000/seconds/0", ".1f"),
        value(CSV + "baseline_1000000/cpu_seconds/0", ".1f"),
        count(CSV + "baseline_1000000/peak_rss_mib/0"),
        value(CSV + "new_1000000_same_invocation/seconds/0", ".1f"),
        value(CSV + "new_1000000_same_invocation/cpu_seconds/0", ".1f"),
        value(CSV + "new_1000000_same_invocation/peak_rss_mib/0"),
    ),
    # Evidence encryption
    figure(
        "(copy, three digests, seal, rows) | {} s | {} s | **{} %** / {} % |",
        "evidence_encryption.json",
        *encrypted("ingest"),
    ),
    figure(
        "CPU time (open, check, decode, PDQ) | {} s | {} s | **{} %** / {} % |",
        "evidence_encryption.json",
        *encrypted("hash"),
    ),
    figure(
        "| hash stage with worker processes, wall clock | {} s | {} s | {} % / {} % (noise) |",
        "evidence_encryption.json",
        *encrypted("hash_workers"),
    ),
    figure(
        "stage with encryption on and off in the same run, alternating: ingest {} % slower",
        "evidence_encryption.json",
        percent(ENCRYPTION + "ingest/slowdown"),
    ),
    figure(
        "the hash stage {} % (CPU time, one process) and {} % (wall clock, worker processes)",
        "evidence_encryption.json",
        percent(ENCRYPTION + "hash/slowdown"),
        percent(ENCRYPTION + "hash_workers/slowdown"),
    ),
    figure(
        "{} benign 1–3 MP JPEGs (mean {} KiB)",
        "evidence_encryption.json",
        value("pictures"),
        value("mean_picture_kib"),
    ),
    # Command-line start-up
    figure(
        "`amparo --help` **{} s** of CPU against {} s ({}x)",
        "cli_startup.json",
        value("commands/amparo --help/after/cpu_s", ".2f"),
        value("commands/amparo --help/before/cpu_s", ".2f"),
        value("commands/amparo --help/speedup_cpu"),
    ),
    figure(
        "`amparo export --help` {} s against {} s, `import amparo.cli` {} s against {} s",
        "cli_startup.json",
        value("commands/amparo export --help/after/cpu_s", ".2f"),
        value("commands/amparo export --help/before/cpu_s", ".2f"),
        value("commands/import amparo.cli/after/cpu_s", ".2f"),
        value("commands/import amparo.cli/before/cpu_s", ".2f"),
    ),
    # The network stage
    figure(
        "The network stage analyses and stores the network in {} ms",
        "network_stage.json",
        value("network_stage_ms"),
    ),
    figure(
        "the findings document reads it back ({} ms against {} ms analysing afresh",
        "network_stage.json",
        value("findings_ms/stored"),
        value("findings_ms/analysed_afresh"),
    ),
    figure(
        "neighbourhood in {}–{} ms against {}–{} ms for the",
        "network_stage.json",
        value("group_page_ms/neighbourhood", ".1f"),
        value("series_page_ms/neighbourhood", ".1f"),
        value("group_page_ms/whole_network", ".1f"),
        value("series_page_ms/whole_network", ".1f"),
    ),
    figure(
        "skips every stage ({} s, almost all process start-up",
        "network_stage.json",
        value("process_unchanged_s", ".1f"),
    ),
    figure("the first run ({} s here)", "network_stage.json", value("process_first_s", ".1f")),
)
