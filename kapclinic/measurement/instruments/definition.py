"""The typed shape of an instrument definition (what ``loader`` builds from a JSON data file).

Everything here is immutable plain data; the engine (``kapclinic.measurement.instruments.scoring``,
``skiplogic``, ``alerts``, ``fhir``) reads it and never changes it. See docs/measurement.md for
the JSON format and what each field means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class LicenceStatus(StrEnum):
    """Clinical reference §4 names each instrument's licence; these are its categories."""

    PUBLIC_DOMAIN = "public_domain"  # e.g. PHQ-9, GAD-7 (§4.1-4.2), PCL-5 (§4.6), ASQ (NIMH)
    FREE = "free"  # free to use, no permission needed (WHO-5, §4.7)
    PROPRIETARY = "proprietary"  # copyright holder's permission needed (MADRS §4.4, C-SSRS §4.5)
    UNVERIFIED = "unverified"  # "freely available" per secondary sources only (QIDS-SR16, §4.3)
    UNKNOWN = "unknown"  # licence NOT FOUND (CADSS, §3.4)
    LOCAL = "local"  # written for kapclinic; not a published, validated instrument


class ScoringKind(StrEnum):
    SUM = "sum"  # total = sum of the listed items
    SUM_OF_MAX = "sum_of_max"  # total = sum over domains of the highest item in each domain
    TIERS = "tiers"  # no total; the first tier whose condition holds gives the category


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"

    def holds(self, left: int, right: int) -> bool:
        return {
            Op.EQ: left == right,
            Op.NE: left != right,
            Op.GT: left > right,
            Op.GE: left >= right,
            Op.LT: left < right,
            Op.LE: left <= right,
        }[self]


class AlertSeverity(StrEnum):
    URGENT = "urgent"  # creates an urgent safety task (issue 5, part 3)
    FOLLOW_UP = "follow_up"  # needs a clinician's follow-up, not an emergency


class MissingRuleKind(StrEnum):
    # The only rule shipped: the reference gives no published missing-item rule for any
    # instrument (NOT FOUND), so the engine refuses rather than prorating or guessing.
    REFUSE = "refuse"


@dataclass(frozen=True)
class RuleRef:
    """Which rule produced a result: a reference rule id (R-...) and its text."""

    id: str
    text: str


@dataclass(frozen=True)
class AnswerOption:
    value: int
    label: str = ""  # empty when the anchor wording is licensed or not verified


@dataclass(frozen=True)
class Condition:
    """``answers[item] <op> value``; false when the item is unanswered."""

    item: str
    op: Op
    value: int


@dataclass(frozen=True)
class Item:
    id: str
    label: str  # short clinician-facing name in kapclinic's own words (never licensed text)
    options: tuple[AnswerOption, ...]
    text: str = ""  # the published wording; empty for licensed instruments until loaded
    scored: bool = True
    optional: bool = False  # may be left blank without making the score incomplete
    # Asked only when ANY of these conditions holds; empty = always asked.
    enable_when: tuple[Condition, ...] = ()

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)


@dataclass(frozen=True)
class Domain:
    name: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Tier:
    category: str
    when: tuple[Condition, ...]  # any of
    source: str


@dataclass(frozen=True)
class Derived:
    """A score computed from the total, e.g. WHO-5 percentage = raw x 4 (§4.7)."""

    name: str
    multiplier: int
    source: str


@dataclass(frozen=True)
class ClusterRule:
    """PCL-5 DSM-5 rule (§4.6): an item rated >= ``endorsed_at_least`` counts as endorsed; the
    rule is met when each named subscale has at least its minimum of endorsed items."""

    name: str
    endorsed_at_least: int
    minimum: tuple[tuple[str, int], ...]
    source: str


@dataclass(frozen=True)
class ScoreFlag:
    """A yes/no fact about a score, e.g. WHO-5 raw < 13 (R-OUT-7)."""

    name: str
    score: str  # "total" or the name of a derived score or subscale
    op: Op
    value: int
    source: str


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    min: int
    max: int


@dataclass(frozen=True)
class Scoring:
    kind: ScoringKind
    rule_id: str  # the reference rule, e.g. "R-OUT-1"
    rule_text: str
    domains: tuple[Domain, ...] = ()  # SUM: one domain per item; SUM_OF_MAX: the groups
    tiers: tuple[Tier, ...] = ()
    otherwise: str = ""  # TIERS: category when no tier holds and every asked item is answered
    range: tuple[int, int] | None = None  # (min, max) of the total; None for TIERS
    derived: tuple[Derived, ...] = ()
    subscales: tuple[Domain, ...] = ()  # summed
    cluster_rule: ClusterRule | None = None
    flags: tuple[ScoreFlag, ...] = ()
    bands: tuple[Band, ...] = ()
    bands_source: str = ""


@dataclass(frozen=True)
class MissingRule:
    kind: MissingRuleKind
    source: str


@dataclass(frozen=True)
class AlertRule:
    id: str
    severity: AlertSeverity
    when: tuple[Condition, ...]  # any of
    message: str
    source: str
    # When set, an asked-but-unanswered item named in ``when`` (and no condition holding) gives
    # a FOLLOW_UP alert with this message: a safety question left blank is never silent.
    unanswered_message: str = ""


@dataclass(frozen=True)
class Licence:
    status: LicenceStatus
    required: bool  # True: the clinic must hold a licence and load the item texts itself
    holder: str
    source: str


@dataclass(frozen=True)
class Loinc:
    """LOINC codes verified in clinical reference §7.3; empty string = NOT FOUND there."""

    panel: str = ""
    total: str = ""
    total_display: str = ""
    source: str = ""


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    title: str
    description: str
    source: str  # reference section(s) and the published source
    lower_is_better: bool
    licence: Licence
    loinc: Loinc
    items: tuple[Item, ...]
    scoring: Scoring
    missing: MissingRule
    alerts: tuple[AlertRule, ...] = ()
    stem: str = ""  # the instruction shown before the items, where it is not licensed
    notes: tuple[str, ...] = ()  # unverified facts and choices (listed in docs/measurement.md)
    texts_loaded: bool = field(default=False)  # True after ``with_licensed_texts``

    def item(self, item_id: str) -> Item:
        for candidate in self.items:
            if candidate.id == item_id:
                return candidate
        raise KeyError(item_id)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def has_texts(self) -> bool:
        """Whether every item carries its wording (false for licensed ones until loaded)."""
        return all(item.text for item in self.items)
