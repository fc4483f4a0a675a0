"""Reads of treatment protocols, scoped to the clinic (another clinic's version answers 404,
like a missing one). Protocols hold no patient data: reading them is not audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.http import Http404

from kapclinic.accounts.models import Clinic
from kapclinic.scheduling.example import example_course
from kapclinic.scheduling.exceptions import ProtocolDefinitionError
from kapclinic.scheduling.models import ProtocolVersion
from kapclinic.scheduling.protocols.definition import MODALITY_LABELS, Modality, Protocol
from kapclinic.scheduling.protocols.parser import parse_protocol
from kapclinic.scheduling.rules import ProposedSession


def status_label(version: ProtocolVersion, latest: int) -> str:
    """Current (the latest, published), Retired, or Superseded (an older version)."""
    if version.status == ProtocolVersion.Status.RETIRED:
        return "Retired"
    return "Current" if version.version == latest else "Superseded"


@dataclass(frozen=True)
class ProtocolSummary:
    latest: ProtocolVersion
    versions: int
    status: str

    @property
    def modality_label(self) -> str:
        return MODALITY_LABELS[Modality(self.latest.modality)]


def list_protocols(clinic: Clinic) -> list[ProtocolSummary]:
    """Each of the clinic's protocols by name, with its latest version (one query)."""
    latest: dict[str, ProtocolVersion] = {}
    counts: dict[str, int] = {}
    for row in ProtocolVersion.objects.filter(clinic=clinic).order_by("code", "-version"):
        latest.setdefault(row.code, row)
        counts[row.code] = counts.get(row.code, 0) + 1
    summaries = [
        ProtocolSummary(row, counts[code], status_label(row, row.version))
        for code, row in latest.items()
    ]
    return sorted(summaries, key=lambda summary: summary.latest.name.casefold())


def access_protocol_version(clinic: Clinic, public_id: UUID) -> ProtocolVersion:
    """A version of one of ``clinic``'s protocols; Http404 for another clinic's and a missing
    one alike."""
    version = (
        ProtocolVersion.objects.filter(clinic=clinic, public_id=public_id)
        .select_related("published_by", "retired_by")
        .first()
    )
    if version is None:
        raise Http404
    return version


def current_protocol_version(clinic: Clinic, code: str) -> ProtocolVersion | None:
    """The version a new course of ``code`` starts on: the latest, unless it is retired."""
    latest = ProtocolVersion.objects.filter(clinic=clinic, code=code).order_by("-version").first()
    if latest is None or latest.status != ProtocolVersion.Status.PUBLISHED:
        return None
    return latest


def _named(protocol: Protocol, sessions: list[ProposedSession]) -> list[tuple[date, str]]:
    named = []
    for session in sessions:
        session_type = protocol.session_type(session.session_type)
        named.append((session.day, session_type.name if session_type else session.session_type))
    return named


@dataclass(frozen=True)
class ProtocolPage:
    version: ProtocolVersion
    status: str
    history: list[tuple[ProtocolVersion, str]]  # every version of the code, newest first
    protocol: Protocol | None  # None: the stored document no longer passes today's checks
    problems: tuple[str, ...]
    example_start: date
    example: list[tuple[date, str]]  # (day, session type name) of an example course

    @property
    def is_current(self) -> bool:
        return self.status == "Current"


def protocol_page(clinic: Clinic, public_id: UUID, *, today: date) -> ProtocolPage:
    """One version of a protocol, read in words, with its history and an example course
    starting on the Monday after ``today``."""
    version = access_protocol_version(clinic, public_id)
    rows = list(
        ProtocolVersion.objects.filter(clinic=clinic, code=version.code)
        .select_related("published_by", "retired_by")
        .order_by("-version")
    )
    latest = rows[0].version
    try:
        protocol: Protocol | None = parse_protocol(version.document)
        problems: tuple[str, ...] = ()
    except ProtocolDefinitionError as error:
        protocol, problems = None, error.problems
    start = date.fromordinal(today.toordinal() + 7 - today.weekday())
    return ProtocolPage(
        version=version,
        status=status_label(version, latest),
        history=[(row, status_label(row, latest)) for row in rows],
        protocol=protocol,
        problems=problems,
        example_start=start,
        example=_named(protocol, example_course(protocol, start)) if protocol is not None else [],
    )
