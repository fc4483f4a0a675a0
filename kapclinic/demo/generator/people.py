"""Drawn details of a person for the synthetic clinic (kapclinic.demo.generator): sex, given
name, birth date, phone number, and the generator's deterministic ids."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from kapclinic.demo import names
from kapclinic.patients.models import Sex


class Ids:
    """Deterministic UUIDs from the generator's own PRNG."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def next(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)


def random_birth_date(rng: random.Random, today: date) -> date:
    """Adults of working age mostly; about 12% aged 65+ and 1% under 18 (screening refuses)."""
    roll = rng.random()
    if roll < 0.01:
        age = rng.randint(16, 17)
    elif roll < 0.13:
        age = rng.randint(65, 84)
    else:
        age = min(64, max(18, round(rng.gauss(40, 11))))
    return today - timedelta(days=age * 365 + rng.randint(0, 364))


def random_sex(rng: random.Random) -> str:
    return rng.choices([Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN], weights=[58, 38, 2, 2])[0]


def random_given_name(rng: random.Random, sex: str) -> str:
    if sex == Sex.FEMALE:
        pool = names.GIVEN_FEMALE
    elif sex == Sex.MALE:
        pool = names.GIVEN_MALE
    else:
        pool = names.GIVEN_NEUTRAL + names.GIVEN_FEMALE + names.GIVEN_MALE
    return rng.choice(pool)


def random_phone(rng: random.Random) -> str:
    return f"+1-555-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
