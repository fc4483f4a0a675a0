"""The shipped screening rule sets, as data, one versioned set per protocol family.

A new version is a new RuleSet (never an edit of a shipped one, so past results stay
explainable); ``ruleset_for`` picks the one in force on a date the caller passes in.

Where the clinical reference is ambiguous (concomitant medications without an R-SCR id, lamotrigine
without a source, "not approved < 18 y" as an esketamine hard stop, label warnings as fixed
esketamine flags, R-SCR-4 at baseline, and more), the choice the sets make, its consequences and
how a clinic changes it are in docs/adr/0003-screening-reference-ambiguities.md.
"""

from __future__ import annotations

from datetime import date

from kapclinic.screening.rules import (
    Family,
    RuleSet,
)
from kapclinic.screening.rulesets.esketamine import ESKETAMINE_V1 as ESKETAMINE_V1
from kapclinic.screening.rulesets.racemic_ketamine import (
    RACEMIC_KETAMINE_V1 as RACEMIC_KETAMINE_V1,
)
from kapclinic.screening.rulesets.talk_therapy import TALK_THERAPY_V1 as TALK_THERAPY_V1

SHIPPED_RULESETS: tuple[RuleSet, ...] = (ESKETAMINE_V1, RACEMIC_KETAMINE_V1, TALK_THERAPY_V1)


def ruleset_for(family: Family, on: date) -> RuleSet:
    """The latest shipped rule set of ``family`` in force on ``on``; LookupError if none is."""
    in_force = [
        ruleset
        for ruleset in SHIPPED_RULESETS
        if ruleset.family is family and ruleset.effective_from <= on
    ]
    if not in_force:
        msg = f"No {family} screening rule set is in force on {on.isoformat()}."
        raise LookupError(msg)
    return max(in_force, key=lambda ruleset: ruleset.effective_from)


def get_ruleset(family: Family, version: str) -> RuleSet:
    """A shipped rule set by version, to re-explain a stored result; LookupError if unknown."""
    for ruleset in SHIPPED_RULESETS:
        if ruleset.family is family and ruleset.version == version:
            return ruleset
    msg = f"No {family} screening rule set has version {version!r}."
    raise LookupError(msg)
