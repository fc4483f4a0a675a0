"""Password rules: Django's validators plus the clinic-context list, with clear messages."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import password_validators_help_texts
from django.contrib.auth.password_validation import validate_password as django_validate
from django.core.exceptions import ValidationError

from kapclinic.accounts.models import Clinic, User
from kapclinic.accounts.passwords import ClinicContextPasswordValidator

pytestmark = pytest.mark.django_db


def messages_for(password: str, user: User | None = None) -> list[str]:
    try:
        django_validate(password, user)
    except ValidationError as error:
        return list(error.messages)
    return []


@pytest.mark.parametrize(
    "password",
    [
        "Ketamine2026!",
        "K3tam1ne!!2026",
        "SPRAVATO-spravato",
        "esketamine#1234",
        "MyKetamineClinic1",
        "Password2026!!",
        "P@ssw0rd12345!",
        "specialk-2026!!",
    ],
)
def test_passwords_built_on_clinic_words_are_refused_naming_the_word(password: str) -> None:
    problems = messages_for(password)
    assert any("is built around “" in p and "attackers try first" in p for p in problems), problems


@pytest.mark.parametrize(
    "password", ["Winter2026!!!", "summer-2025-!!", "AUTUMN_2024!!", "2026November!"]
)
def test_season_or_month_with_a_year_is_refused(password: str) -> None:
    assert (
        "A season or month with a year (like “Winter2026!”) is among the first passwords "
        "attackers try. Choose another one." in messages_for(password)
    )


def test_exact_entries_of_the_list_are_refused() -> None:
    validator = ClinicContextPasswordValidator()
    with pytest.raises(ValidationError) as caught:
        validator.validate("Password123!")
    assert caught.value.messages == [
        "This password is on the list of passwords that attackers try first. Choose another one."
    ]


def test_the_names_codes_and_cities_of_the_clinics_in_the_database_are_refused(
    clinics: list[Clinic],
) -> None:
    clinic = clinics[0]  # Harborview KAP Clinic, BOS, Boston
    first_word = clinic.name.split()[0]
    for password in (f"{first_word}2026!!", f"{clinic.city}-{clinic.code}-2026", "bos-clinic-77!"):
        problems = messages_for(password)
        assert any("is built around" in p for p in problems), (password, problems)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "Garden-Lantern-Violin-92",  # "den" (a clinic code elsewhere) inside a word is fine
        "kaplan orchard lantern 9",  # "kap" inside a longer passphrase is fine
        "Xk9#mQ2$vL7!pR",
    ],
)
def test_strong_passwords_pass_every_rule(password: str, clinics: list[Clinic]) -> None:
    assert messages_for(password) == []


def test_djangos_own_rules_still_apply_with_their_messages() -> None:
    assert "This password is too short. It must contain at least 12 characters." in messages_for(
        "Xk9#mQ2$"
    )
    assert "This password is too common." in messages_for("1qaz2wsx3edc")
    assert "This password is entirely numeric." in messages_for("839201746253")


def test_a_password_like_the_users_name_is_refused(nurse: User) -> None:
    given, family = nurse.full_name.split()[0], nurse.full_name.split()[-1]
    problems = messages_for(f"{given}{family}2026", nurse)
    assert "The password is too similar to the full name." in problems


def test_the_help_text_explains_the_clinic_rule() -> None:
    texts = password_validators_help_texts()
    assert any("can’t be built around words tied to the clinic" in t for t in texts)
