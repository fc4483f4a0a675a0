"""Every place that stores an instrument's answers goes through the alert rules (issue 11.1).

A screening used to store PHQ-9 answers without its suicide-risk alert ever being evaluated.
These tests fail when a new model field can hold questionnaire answers, or new code creates
questionnaire responses or safety tasks, outside the paths known to apply the alert rules
(R-OUT-1, R-OUT-5): measurement's services (record_response, complete_assessment, amend) and the
demo generator's builders, which call the same pure rules (measurement.alerts) and are checked
by the demo's own tests.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.db import models

from kapclinic.measurement.instruments.registry import all_instruments
from kapclinic.referrals.prescreen import QUESTIONS

ROOT = Path(__file__).resolve().parents[2]

# Each field that holds answers, and why its answers cannot escape the alert rules.
ANSWER_FIELDS = {
    # The response itself: written only by measurement.services, which raises its alerts.
    "measurement.Assessment.answers",
    # Mirrored as responses (phq9_response / gad7_response) by screening.services.
    "screening.Screening.phq9_answers",
    "screening.Screening.gad7_answers",
    # The public self-check's plain-language questions: no instrument item (asserted below).
    "referrals.Referral.prescreen_answers",
}
# Files that may build Assessment or SafetyTask rows directly.
BUILDERS = {
    "kapclinic/measurement/responses/services.py",
    "kapclinic/demo/trajectories.py",
    "kapclinic/demo/screening_safety.py",
}
CONSTRUCTION = re.compile(
    r"(?<!class )\b(Assessment|SafetyTask)"
    r"(\(|\.objects\.(create|bulk_create|get_or_create|update_or_create))"
)


def _looks_like_answers(field: models.Field[object, object]) -> bool:
    return isinstance(field, models.JSONField) and "answer" in field.name


def test_every_field_that_holds_answers_is_known() -> None:
    found = {
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label != "django_tasks_database"
        for field in model._meta.get_fields()
        if isinstance(field, models.Field) and _looks_like_answers(field)
    }
    assert found == ANSWER_FIELDS


def test_the_self_check_asks_no_instrument_item() -> None:
    items = {item.id for instrument in all_instruments() for item in instrument.items}
    assert items
    assert not items & {question.key for question in QUESTIONS}


def test_only_the_known_paths_build_responses_or_safety_tasks() -> None:
    offenders: list[str] = []
    for path in sorted((ROOT / "kapclinic").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in relative or "/migrations/" in relative or relative in BUILDERS:
            continue
        text = path.read_text(encoding="utf-8")
        offenders.extend(
            f"{relative}:{text.count(chr(10), 0, m.start()) + 1}"
            for m in CONSTRUCTION.finditer(text)
        )
    assert offenders == []
