"""Each clinic's screening policy per protocol family, stored and audited.

The rule sets (rulesets/) are the same for every clinic; a clinic's policy holds what the
clinical reference leaves to the clinic:

- the blood-pressure limits of R-SCR-4 (the "> 140/90" default is UNVERIFIED, ref §1.2 and §10
  gap 15, so it is a setting),
- whether the clinic runs a home programme (never for esketamine: REMS, ref §1.2),
- which configurable rules are turned on, off, or (hard stops only) softened to a flag.

``check_policy`` (rules.py) decides what is allowed; label and regulatory rules are never
configurable. A screening stores the policy it was evaluated under (Screening.policy), so a
later change of policy never changes an earlier screening's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability, allows
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.screening.audit_actions import ScreeningAuditAction
from kapclinic.screening.exceptions import ScreeningForbiddenError
from kapclinic.screening.models import ClinicScreeningPolicy
from kapclinic.screening.rules import (
    Rule,
    RuleSet,
    ScreeningPolicy,
    ScreeningPolicyError,
    Severity,
    check_policy,
)

DEFAULT: Final = ScreeningPolicy()


def policy_to_json(policy: ScreeningPolicy) -> dict[str, Any]:
    return {
        "bp_systolic_max_mmhg": policy.bp_systolic_max_mmhg,
        "bp_diastolic_max_mmhg": policy.bp_diastolic_max_mmhg,
        "home_programme": policy.home_programme,
        "enabled_rules": sorted(policy.enabled_rules),
        "disabled_rules": sorted(policy.disabled_rules),
        "softened_rules": sorted(policy.softened_rules),
    }


def policy_from_json(data: dict[str, Any]) -> ScreeningPolicy:
    """The policy a screening stored ({} for screenings recorded before policies: defaults)."""
    if not data:
        return DEFAULT
    return ScreeningPolicy(
        bp_systolic_max_mmhg=int(data["bp_systolic_max_mmhg"]),
        bp_diastolic_max_mmhg=int(data["bp_diastolic_max_mmhg"]),
        home_programme=bool(data["home_programme"]),
        enabled_rules=frozenset(data["enabled_rules"]),
        disabled_rules=frozenset(data["disabled_rules"]),
        softened_rules=frozenset(data["softened_rules"]),
    )


def _from_row(row: ClinicScreeningPolicy) -> ScreeningPolicy:
    return ScreeningPolicy(
        bp_systolic_max_mmhg=row.bp_systolic_max_mmhg,
        bp_diastolic_max_mmhg=row.bp_diastolic_max_mmhg,
        home_programme=row.home_programme,
        enabled_rules=frozenset(row.enabled_rules),
        disabled_rules=frozenset(row.disabled_rules),
        softened_rules=frozenset(row.softened_rules),
    )


def policy_for(clinic: Clinic, ruleset: RuleSet) -> ScreeningPolicy:
    """The clinic's policy for ``ruleset``'s family (the defaults when none is stored).

    A stored policy naming a rule the current rule set no longer has (a new rule set version)
    is not applied silently wrong: the unknown ids are dropped and the rest is re-checked; if it
    is still not allowed, the defaults apply and the policy page shows the problem."""
    row = ClinicScreeningPolicy.objects.filter(clinic=clinic, family=ruleset.family.value).first()
    if row is None:
        return DEFAULT
    stored = _from_row(row)
    known = ruleset.rule_ids
    policy = ScreeningPolicy(
        bp_systolic_max_mmhg=stored.bp_systolic_max_mmhg,
        bp_diastolic_max_mmhg=stored.bp_diastolic_max_mmhg,
        home_programme=stored.home_programme,
        enabled_rules=stored.enabled_rules & known,
        disabled_rules=stored.disabled_rules & known,
        softened_rules=stored.softened_rules & known,
    )
    try:
        check_policy(ruleset, policy)
    except ScreeningPolicyError:
        return DEFAULT
    return policy


@dataclass(frozen=True)
class RuleChoice:
    """What a clinic may choose for one configurable rule (for the policy form)."""

    rule: Rule
    choices: tuple[tuple[str, str], ...]  # ("default" | "on" | "off" | "softened", label)


def rule_choices(ruleset: RuleSet) -> list[RuleChoice]:
    found = []
    for rule in ruleset.rules:
        if not rule.configurable:
            continue
        if rule.severity is Severity.HARD_STOP:
            options = (("default", "Hard stop (default)"), ("softened", "Soften to a flag"))
        elif rule.enabled_by_default:
            options = (("default", "On (default)"), ("off", "Turn off"))
        else:
            options = (("default", "Off (default)"), ("on", "Turn on"))
        found.append(RuleChoice(rule=rule, choices=options))
    return found


def choice_of(policy: ScreeningPolicy, rule_id: str) -> str:
    if rule_id in policy.softened_rules:
        return "softened"
    if rule_id in policy.disabled_rules:
        return "off"
    if rule_id in policy.enabled_rules:
        return "on"
    return "default"


@transaction.atomic
def set_policy(
    *,
    actor: Actor,
    clinic: Clinic,
    ruleset: RuleSet,
    bp_systolic_max_mmhg: int,
    bp_diastolic_max_mmhg: int,
    home_programme: bool,
    rule_settings: dict[str, str],
    reason: str,
) -> ScreeningPolicy:
    """Store ``clinic``'s policy for ``ruleset``'s family from the form's values.

    ``rule_settings`` maps rule ids to "default" | "on" | "off" | "softened".
    Raises ScreeningForbiddenError for anyone but a prescriber of the clinic, and
    ScreeningPolicyError (nothing written) when check_policy refuses the result or the reason
    is missing. Writes: ClinicScreeningPolicy, an UPDATE audit entry with old → new and reason.
    """
    if not allows(actor.roles, Capability.CONFIGURE_SCREENING):
        msg = "Only a prescriber of the clinic sets its screening policy."
        raise ScreeningForbiddenError(msg)
    reason = clean_reason(reason, error=ScreeningPolicyError)
    policy = ScreeningPolicy(
        bp_systolic_max_mmhg=bp_systolic_max_mmhg,
        bp_diastolic_max_mmhg=bp_diastolic_max_mmhg,
        home_programme=home_programme,
        enabled_rules=frozenset(r for r, v in rule_settings.items() if v == "on"),
        disabled_rules=frozenset(r for r, v in rule_settings.items() if v == "off"),
        softened_rules=frozenset(r for r, v in rule_settings.items() if v == "softened"),
    )
    check_policy(ruleset, policy)
    row = (
        ClinicScreeningPolicy.objects.select_for_update()
        .filter(clinic=clinic, family=ruleset.family.value)
        .first()
    )
    before = policy_to_json(_from_row(row) if row else DEFAULT)
    after = policy_to_json(policy)
    changes = audit.diff(before, after)
    if not changes:
        return policy
    if row is None:
        row = ClinicScreeningPolicy(clinic=clinic, family=ruleset.family.value)
    for field, value in after.items():
        setattr(row, field, value)
    row.updated_by = actor.user
    row.full_clean()
    row.save()
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=ScreeningAuditAction.POLICY_CHANGED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(row),
        changes=changes,
        detail={"family": ruleset.family.value, "ruleset": ruleset.version, "reason": reason},
    )
    return policy
