"""The parts an operation's media play, decided before any report is written.

Known pictures (in a hash set; some are never reported), their perceptual variants and
metadata-edited copies, new series (a new picture with variants of its own), unrelated files,
a non-pertinent meme and bad media. Pictures are grouped into families (a picture and its
variants); PDQ keeps every family at least ``FAMILY_GAP`` bits from every other, and every
variant within ``VARIANT_REACH`` of its source, so each file's expected status is unambiguous.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from amparo.demo.device import notes_file
from amparo.demo.hashset import KNOWN_CSV, NON_PERTINENT_CSV, known_entries, non_pertinent_entry
from amparo.demo.images import OTHER_FILE_SHARE, MediaItem, other_file, random_picture_item
from amparo.demo.pdq import HashIndex, PdqSignature, signature_of_bytes
from amparo.demo.special_media import meme, pixel_bomb, truncated_jpeg
from amparo.demo.truth import (
    KNOWN,
    KNOWN_VARIANT,
    NEW,
    NON_PERTINENT,
    UNPROCESSABLE,
    ExpectedMedia,
    HashSetEntry,
)
from amparo.demo.variants import METADATA_EDIT, PERCEPTUAL_TRANSFORMS, metadata_edit
from amparo.demo.variants import perceptual_variant as make_variant

FAMILY_GAP = 60
VARIANT_REACH = 24
MIN_QUALITY = 50  # below this PDQ is unreliable (flat pictures): no known or series roles
MAX_VARIANT_ATTEMPTS = 40
NEW_SERIES_VARIANTS = (1, 4)  # [low, high)
DEVICE_KNOWN = 2
DEVICE_VARIANTS = 2

Draw = Callable[[np.random.Generator], MediaItem]


@dataclass(frozen=True)
class MediaCast:
    drawable: tuple[MediaItem, ...]  # what reports pick from, some far more often than others
    featured: tuple[MediaItem, ...]  # each uploaded at least once, by the first reports
    device_media: tuple[MediaItem, ...]  # for a seized device only, never reported
    roles: Mapping[str, ExpectedMedia]  # by sha256, for every item above
    hash_sets: Mapping[str, tuple[HashSetEntry, ...]]  # by CSV file name


@dataclass(frozen=True)
class RoleCounts:
    known: int
    hash_set_only: int
    known_variants: int
    metadata_edits: int
    new_series: int
    bad_media: int  # of each kind
    unrelated: int

    @classmethod
    def for_pool(cls, size: int) -> RoleCounts:
        """About ``size`` reportable items: a tenth known, a tenth known variants, ..."""
        known, variants = max(1, round(size * 0.10)), max(2, round(size * 0.10))
        edits, series = max(1, round(size * 0.01)), max(1, round(size * 0.03))
        hash_set_only = max(1, round(size * 0.04)) + DEVICE_KNOWN
        unrelated = max(0, size - known - variants - edits - 3 * series - 1)
        bad = max(1, round(size * 0.002))
        return cls(known, hash_set_only, variants, edits, series, bad, unrelated)


@dataclass(frozen=True)
class Hashed:
    """An accepted picture, its PDQ signature and the family it belongs to."""

    item: MediaItem
    signature: PdqSignature
    family: int


@dataclass(frozen=True)
class NewSeries:
    members: tuple[MediaItem, ...]  # the new picture first, then its variants
    spares: tuple[MediaItem, ...]  # more variants, kept off the reports (for the device)


def build_media_cast(pool_size: int, rng: np.random.Generator) -> MediaCast:
    """At least ``pool_size`` reportable items in every role, plus a device's own pictures."""
    return _Casting(rng).cast(RoleCounts.for_pool(pool_size))


class _Casting:
    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._index = HashIndex()
        self._families = itertools.count()
        self._roles: dict[str, ExpectedMedia] = {}
        self._series_of: dict[str, str | None] = {}  # hash-set series of each known picture

    def cast(self, counts: RoleCounts) -> MediaCast:
        known, known_set = self._known(counts.known + counts.hash_set_only)
        in_pool, hash_set_only = known[: counts.known], known[counts.known :]
        first_variants = [self._variant_of_first(in_pool), self._variant_of_first(hash_set_only)]
        variants = first_variants + self._known_variants(known, counts.known_variants - 2)
        edits = [self._metadata_edit(known) for _ in range(counts.metadata_edits)]
        labels = [f"NEW-{number:03d}" for number in range(counts.new_series)]
        series = [self._new_series(label, spares=int(label == labels[0])) for label in labels]
        the_meme, meme_entry = self._meme()
        bad = self._bad_media(counts.bad_media)
        unrelated = [self._unrelated() for _ in range(counts.unrelated)]
        members = [item for family in series for item in family.members]
        featured = (in_pool[0].item, first_variants[0], *series[0].members, edits[0])
        drawable = (*(k.item for k in in_pool), *variants, *edits, *members, the_meme)
        return MediaCast(
            drawable=(*drawable, *unrelated),
            featured=(*featured, first_variants[1], the_meme, *bad),
            device_media=self._device_media(known, hash_set_only[-DEVICE_KNOWN:], series[0]),
            roles=self._roles,
            hash_sets={KNOWN_CSV: known_set, NON_PERTINENT_CSV: (meme_entry,)},
        )

    # Pictures and families

    def _picture(self, draw: Draw, min_quality: int) -> Hashed:
        """A picture founding a family of its own: far from every picture accepted so far."""
        family = next(self._families)
        while True:
            item = draw(self._rng)
            signature = signature_of_bytes(item.data)
            if signature.quality < min_quality:
                continue
            if self._index.is_apart(signature, family, FAMILY_GAP):
                self._index.add(signature, family)
                return Hashed(item, signature, family)

    def _variant(self, source: Hashed, *, whole_family: bool) -> tuple[Hashed, str] | None:
        """A perceptual variant close to ``source`` (to its whole family if asked), or None."""
        for _ in range(MAX_VARIANT_ATTEMPTS):
            transform = str(self._rng.choice(PERCEPTUAL_TRANSFORMS))
            item = make_variant(source.item, transform, self._rng)
            variant = Hashed(item, signature_of_bytes(item.data), source.family)
            if self._fits(variant, source, whole_family=whole_family):
                self._index.add(variant.signature, variant.family)
                return variant, transform
        return None

    def _fits(self, variant: Hashed, source: Hashed, *, whole_family: bool) -> bool:
        """Good quality, not identical to its source, within reach, far from other families."""
        signature, family = variant.signature, variant.family
        nearest, farthest = sorted(signature.distances_to(source.signature))
        if signature.quality < MIN_QUALITY or nearest == 0 or farthest > VARIANT_REACH:
            return False
        if whole_family and not self._index.is_within(signature, family, VARIANT_REACH):
            return False
        return self._index.is_apart(signature, family, FAMILY_GAP)

    def _record(
        self,
        hashed: Hashed,
        status: str,
        *,
        source_sha256: str | None = None,
        transform: str | None = None,
        series_label: str | None = None,
        hash_set_series: str | None = None,
    ) -> MediaItem:
        item, signature = hashed.item, hashed.signature
        truth = ExpectedMedia(
            item.sha256, status, signature.hex, signature.quality,
            source_sha256=source_sha256, transform=transform, series_label=series_label,
            hash_set_series=hash_set_series,
        )  # fmt: skip
        self._roles[item.sha256] = truth
        return item

    def _record_plain(self, item: MediaItem, status: str, defect: str | None) -> MediaItem:
        """A file with no PDQ: not a picture, or not a decodable one."""
        self._roles[item.sha256] = ExpectedMedia(item.sha256, status, defect=defect)
        return item

    def _shuffled(self, items: Sequence[Hashed]) -> list[Hashed]:
        return [items[int(index)] for index in self._rng.permutation(len(items))]

    # Roles

    def _known(self, count: int) -> tuple[list[Hashed], tuple[HashSetEntry, ...]]:
        known = [self._picture(random_picture_item, MIN_QUALITY) for _ in range(count)]
        entries = known_entries([(k.item, k.signature) for k in known], self._rng)
        self._series_of = {entry.sha256: entry.series for entry in entries}
        for picture in known:
            self._record(picture, KNOWN, hash_set_series=self._series_of[picture.item.sha256])
        return known, entries

    def _variant_of_first(self, sources: Sequence[Hashed]) -> MediaItem:
        """A known variant of the first of ``sources`` that lends itself to one."""
        for source in sources:
            made = self._variant(source, whole_family=False)
            if made is not None:
                variant, transform = made
                return self._record_derived(variant, KNOWN_VARIANT, source, transform)
        raise RuntimeError("no known picture lends itself to a close variant")

    def _record_derived(self, derived: Hashed, status: str, source: Hashed, how: str) -> MediaItem:
        series = self._series_of[source.item.sha256]
        return self._record(
            derived, status, hash_set_series=series, source_sha256=source.item.sha256, transform=how
        )

    def _known_variants(self, known: Sequence[Hashed], count: int) -> list[MediaItem]:
        return [self._variant_of_first(self._shuffled(known)) for _ in range(count)]

    def _metadata_edit(self, known: Sequence[Hashed]) -> MediaItem:
        """Same pixels, other bytes: its PDQ is the source's, so it is known by PDQ alone.

        PNG sources are preferred: every decoder gives their pixels exactly, JPEG's may not.
        """
        sources = [picture for picture in known if picture.item.extension == "png"] or known
        source = sources[int(self._rng.integers(len(sources)))]
        item = metadata_edit(source.item)
        edited = Hashed(item, signature_of_bytes(item.data), source.family)
        return self._record_derived(edited, KNOWN, source, METADATA_EDIT)

    def _new_series(self, label: str, spares: int) -> NewSeries:
        """A new picture and one to three variants (plus ``spares``), all close to each other."""
        while True:  # a root too few variants fit stays behind, unused
            root = self._picture(random_picture_item, MIN_QUALITY)
            wanted = int(self._rng.integers(*NEW_SERIES_VARIANTS)) + spares
            made = [self._variant(root, whole_family=True) for _ in range(wanted)]
            variants = [variant for variant in made if variant is not None]
            if len(variants) > spares:
                break
        members = [self._record(root, NEW, series_label=label)]
        members += [self._record_series_variant(label, root, made) for made in variants]
        kept = len(members) - spares
        return NewSeries(tuple(members[:kept]), tuple(members[kept:]))

    def _record_series_variant(
        self, label: str, root: Hashed, made: tuple[Hashed, str]
    ) -> MediaItem:
        variant, transform = made
        return self._record(
            variant, NEW, series_label=label, source_sha256=root.item.sha256, transform=transform
        )

    def _meme(self) -> tuple[MediaItem, HashSetEntry]:
        picture = self._picture(meme, MIN_QUALITY)
        entry = non_pertinent_entry(picture.item, picture.signature)
        return self._record(picture, NON_PERTINENT), entry

    def _bad_media(self, count: int) -> list[MediaItem]:
        bad: list[MediaItem] = []
        for _ in range(count):
            bad.append(self._record_plain(truncated_jpeg(self._rng), UNPROCESSABLE, "truncated"))
            bad.append(self._record_plain(pixel_bomb(self._rng), UNPROCESSABLE, "pixel_bomb"))
        return bad

    def _unrelated(self) -> MediaItem:
        """A new singleton: mostly a picture of any quality, sometimes a non-picture file."""
        if self._rng.random() < OTHER_FILE_SHARE:
            return self._record_plain(self._unique(other_file), NEW, None)
        return self._unrelated_picture()

    def _unique(self, draw: Draw) -> MediaItem:
        item = draw(self._rng)
        while item.sha256 in self._roles:
            item = draw(self._rng)
        return item

    def _device_media(
        self, known: Sequence[Hashed], device_known: Sequence[Hashed], series: NewSeries
    ) -> tuple[MediaItem, ...]:
        """Unreported known pictures and variants, a series' spare, a new picture, a note."""
        variants = self._known_variants(known, DEVICE_VARIANTS)
        pictures = (*(k.item for k in device_known), *variants, *series.spares)
        notes = self._record_plain(self._unique(notes_file), NEW, None)
        return (*pictures, self._unrelated_picture(), notes)

    def _unrelated_picture(self) -> MediaItem:
        return self._record(self._picture(random_picture_item, 0), NEW)
