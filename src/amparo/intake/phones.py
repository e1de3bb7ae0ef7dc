"""Phone numbers a report leaves without a country, read with what the workspace knows.

The report itself gives a number's region first (the element's ``countryCallingCode``, the
person's address, the platform's estimated location: ``read_party_phones`` in the parser). A
party whose numbers are still unread then tries the country of its own IP events in the report
(offline lookup; addresses the platform flagged as possible proxies left out; a tie between
countries gives none) and last the workspace's home country. Each number says which it took.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from amparo.geo.lookup import IpLookupService, lookup_service_for
from amparo.identifiers import read_party_phones, unread_phones
from amparo.model import IpEvent, Party, ReportContent
from amparo.settings import get_setting


def read_in_context(session: Session, content: ReportContent) -> ReportContent:
    """The report with every party's still unread numbers read in the workspace's context."""
    if not any(unread_phones(party) for party in content.parties):
        return content
    home = get_setting(session, "home_country")
    lookups = _LazyLookup(session)
    try:
        parties = tuple(
            _in_context(party, lookups.country, home) if unread_phones(party) else party
            for party in content.parties
        )
    finally:
        lookups.close()
    return replace(content, parties=parties)


def _in_context(party: Party, country_of: Callable[[str], str | None], home: str) -> Party:
    return read_party_phones(
        party, ip_country=events_country(party.ip_events, country_of), home_country=home
    )


def events_country(
    events: Sequence[IpEvent], country_of: Callable[[str], str | None]
) -> str | None:
    """The country most of the events' addresses are in; None on a tie or with none."""
    counts = Counter(
        country
        for event in events
        if not event.possible_proxy and (country := country_of(event.ip)) is not None
    )
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


class _LazyLookup:
    """The workspace's IP lookup, opened only when an address is first asked about."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._service: IpLookupService | None = None

    def country(self, ip: str) -> str | None:
        if self._service is None:
            self._service = lookup_service_for(self._session)
        return self._service.lookup(ip).country

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
