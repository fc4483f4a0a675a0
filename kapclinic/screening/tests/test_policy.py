"""A clinic's screening policy: stored per family, checked, audited, applied to screenings
recorded after it and never to earlier ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor, as_roles
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.models import Patient
from kapclinic.screening.exceptions import ScreeningForbiddenError
from kapclinic.screening.models import ClinicScreeningPolicy, Screening
from kapclinic.screening.policy import policy_for, set_policy
from kapclinic.screening.rules import Family, RuleSet, ScreeningPolicy, ScreeningPolicyError
from kapclinic.screening.rulesets import ruleset_for
from kapclinic.screening.services import override_flag, record_screening
from kapclinic.screening.tests.factories import answers

pytestmark = pytest.mark.django_db
BP_RULE = "R-SCR-4.bp_elevated"
REASON = "Protocol v3 of the medical director, signed 2026-11-01."


@pytest.fixture
def home(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


def _racemic(clinic: Clinic) -> RuleSet:
    return ruleset_for(Family.RACEMIC_KETAMINE, clinic.local_today())


def _set(
    clinic: Clinic,
    actor: User,
    roles: tuple[str, ...] = (Role.PRESCRIBER,),
    *,
    bp_systolic_max_mmhg: int = 140,
    bp_diastolic_max_mmhg: int = 90,
    rule_settings: dict[str, str] | None = None,
    reason: str = REASON,
) -> ScreeningPolicy:
    return set_policy(
        actor=Actor(user=actor, roles=as_roles(roles)),
        clinic=clinic,
        ruleset=_racemic(clinic),
        bp_systolic_max_mmhg=bp_systolic_max_mmhg,
        bp_diastolic_max_mmhg=bp_diastolic_max_mmhg,
        home_programme=False,
        rule_settings=rule_settings or {},
        reason=reason,
    )


def _bp_fired(screening: Screening) -> bool:
    return any(r["rule_id"] == BP_RULE and r["status"] == "fired" for r in screening.result)


def test_a_higher_bp_limit_applies_to_screenings_recorded_after_it_only(
    home: Clinic, demo_user: Callable[[Role], User]
) -> None:
    prescriber, nurse = demo_user(Role.PRESCRIBER), demo_user(Role.NURSE)
    patient = Patient.objects.filter(clinic=home).order_by("id")[0]
    elevated = answers(systolic_mmhg=150, diastolic_mmhg=95)
    before = record_screening(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        answers=elevated,
        now=timezone.now(),
    )
    assert _bp_fired(before)

    _set(home, prescriber, bp_systolic_max_mmhg=160, bp_diastolic_max_mmhg=100)
    after = record_screening(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        answers=elevated,
        now=timezone.now(),
    )
    assert not _bp_fired(after)
    assert after.policy["bp_systolic_max_mmhg"] == 160

    # Re-evaluating the earlier screening (an override) keeps the policy it was recorded under.
    override_flag(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
        screening=before,
        rule_id=BP_RULE,
        reason="Repeat reading after rest was 132/84.",
        now=timezone.now(),
    )
    before.refresh_from_db()
    bp = next(r for r in before.result if r["rule_id"] == BP_RULE)
    assert (bp["status"], bp["overridden"]) == ("fired", True)  # still fired: 140/90 applied


def test_the_change_is_audited_with_old_and_new_values_and_the_reason(
    home: Clinic, demo_user: Callable[[Role], User]
) -> None:
    _set(
        home,
        demo_user(Role.PRESCRIBER),
        bp_systolic_max_mmhg=150,
        rule_settings={"R-SCR-3.labs_and_ecg": "on", "R-SCR-1.avm": "softened"},
    )
    event = AuditEvent.objects.get(action="screening.policy_changed")
    assert event.changes["bp_systolic_max_mmhg"] == [140, 150]
    assert event.changes["enabled_rules"] == [[], ["R-SCR-3.labs_and_ecg"]]
    assert event.changes["softened_rules"] == [[], ["R-SCR-1.avm"]]
    assert event.detail["reason"] == REASON
    stored = policy_for(home, _racemic(home))
    assert stored.enabled_rules == frozenset({"R-SCR-3.labs_and_ecg"})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"rule_settings": {"R-SCR-1.avm": "off"}},
            "hard stop: it can be softened, not turned off",
        ),
        ({"bp_systolic_max_mmhg": 90, "bp_diastolic_max_mmhg": 95}, "systolic threshold"),
        ({"rule_settings": {"R-SCR-9.invented": "on"}}, "is not a rule of racemic_ketamine"),
        ({"reason": "because"}, "at least 10 characters"),
    ],
)
def test_a_policy_the_rules_do_not_allow_is_refused_and_nothing_is_stored(
    home: Clinic, demo_user: Callable[[Role], User], values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScreeningPolicyError, match=message):
        _set(home, demo_user(Role.PRESCRIBER), **values)
    assert not ClinicScreeningPolicy.objects.exists()
    assert not AuditEvent.objects.filter(action="screening.policy_changed").exists()


def test_an_esketamine_label_rule_cannot_be_configured(
    home: Clinic, demo_user: Callable[[Role], User]
) -> None:
    esketamine = ruleset_for(Family.ESKETAMINE, home.local_today())
    label_rule = next(r for r in esketamine.rules if not r.configurable)
    with pytest.raises(ScreeningPolicyError, match="not configurable"):
        set_policy(
            actor=Actor(user=demo_user(Role.PRESCRIBER), roles=frozenset({Role.PRESCRIBER})),
            clinic=home,
            ruleset=esketamine,
            bp_systolic_max_mmhg=140,
            bp_diastolic_max_mmhg=90,
            home_programme=False,
            rule_settings={label_rule.rule_id: "off"},
            reason=REASON,
        )
    assert not ClinicScreeningPolicy.objects.exists()


def test_only_a_prescriber_sets_the_policy(home: Clinic, demo_user: Callable[[Role], User]) -> None:
    with pytest.raises(ScreeningForbiddenError):
        _set(home, demo_user(Role.NURSE), roles=(Role.NURSE,))
    assert not ClinicScreeningPolicy.objects.exists()


def test_the_policy_page_saves_one_family_and_explains_a_refusal(
    home: Clinic, client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.PRESCRIBER)
    url = reverse("screening:policy")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Racemic ketamine" in html
    assert "Esketamine (Spravato)" in html

    refused = client.post(
        url,
        {
            "family": "racemic_ketamine",
            "racemic_ketamine-bp_systolic_max_mmhg": "150",
            "racemic_ketamine-bp_diastolic_max_mmhg": "95",
            "racemic_ketamine-rule__R-SCR-1.avm": "off",  # not a choice for a hard stop
            "racemic_ketamine-reason": REASON,
        },
    )
    assert refused.status_code == 422
    assert "Select a valid choice" in refused.content.decode()
    assert not ClinicScreeningPolicy.objects.exists()

    saved = client.post(
        url,
        {
            "family": "racemic_ketamine",
            "racemic_ketamine-bp_systolic_max_mmhg": "150",
            "racemic_ketamine-bp_diastolic_max_mmhg": "95",
            "racemic_ketamine-rule__R-SCR-1.avm": "softened",
            "racemic_ketamine-reason": REASON,
        },
    )
    assert saved.status_code == 302
    row = ClinicScreeningPolicy.objects.get(clinic=home)
    assert (row.family, row.bp_systolic_max_mmhg, row.softened_rules) == (
        "racemic_ketamine",
        150,
        ["R-SCR-1.avm"],
    )


def test_the_clinic_admin_reads_the_policy_and_who_may_change_it_but_cannot_change_it(
    home: Clinic, client_for: Callable[[Role], Client]
) -> None:
    admin = client_for(Role.CLINIC_ADMIN)
    page = admin.get(reverse("screening:policy"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Read only: the prescribers of this clinic change it" in text
    prescribers = User.objects.filter(
        memberships__clinic=home, memberships__role=Role.PRESCRIBER, memberships__is_active=True
    ).distinct()
    assert prescribers
    for person in prescribers:
        assert person.full_name in text
    assert "Save the" not in text
    before = ClinicScreeningPolicy.objects.count()
    refused = admin.post(
        reverse("screening:policy"),
        {
            "family": "racemic_ketamine",
            "racemic_ketamine-bp_systolic_max_mmhg": "180",
            "racemic_ketamine-bp_diastolic_max_mmhg": "110",
            "racemic_ketamine-reason": "An admin should not be able to do this.",
        },
    )
    assert refused.status_code == 403
    assert ClinicScreeningPolicy.objects.count() == before
    assert client_for(Role.FRONT_DESK).get(reverse("screening:policy")).status_code == 403
