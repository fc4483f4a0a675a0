"""A protocol in words on its page (kapclinic.scheduling.words)."""

from __future__ import annotations

from datetime import date

from django import template

from kapclinic.scheduling import words
from kapclinic.scheduling.protocols.definition import (
    SESSION_KIND_LABELS,
    OutlineStep,
    Protocol,
    Resources,
    SessionKind,
    SpacingStage,
)
from kapclinic.scheduling.rules import day_words

register = template.Library()


@register.filter
def duration(minutes: int) -> str:
    return words.minutes_words(minutes)


@register.filter
def resources_words(resources: Resources) -> list[str]:
    return words.resources_words(resources)


@register.filter
def stage_words(stage: SpacingStage) -> str:
    return words.stage_words(stage)


@register.filter
def kind_label(kind: SessionKind) -> str:
    return SESSION_KIND_LABELS[kind]


@register.filter
def day(value: date) -> str:
    return day_words(value)


@register.simple_tag
def step_words(protocol: Protocol, step: OutlineStep) -> str:
    return words.step_words(protocol, step)
