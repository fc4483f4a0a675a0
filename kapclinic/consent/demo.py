"""Demo consent documents: one current version per treatment type for a clinic.

Plain-language texts written for kapclinic's synthetic data; they cite nothing copyrighted and
are not legal or clinical advice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.consent.models import ConsentDocument, TreatmentType
from kapclinic.consent.services import publish_document

DEMO_TEXTS: Final[dict[TreatmentType, tuple[str, str]]] = {
    TreatmentType.ESKETAMINE_REMS: (
        "Esketamine nasal spray (Spravato): treatment and REMS enrolment",
        "Esketamine is a nasal spray approved for treatment-resistant depression. Because it can "
        "cause sleepiness (sedation), a feeling of being disconnected from yourself or your "
        "surroundings (dissociation), breathing problems and misuse, it is only given under a "
        "safety programme called a REMS.\n\n"
        "What this means for you:\n"
        "- You will be enrolled in the REMS before your first treatment.\n"
        "- You use the spray here, in a certified clinic, under supervision. It is never given "
        "to take home.\n"
        "- After each dose, staff watch over you for at least 2 hours, and longer if needed, "
        "until you are stable enough to leave. We check your blood pressure before the dose, "
        "about 40 minutes after it, and before you go, and monitor your breathing.\n"
        "- Do not drive or use machinery until the next day, after a restful sleep. Arrange "
        "for someone to take you home.\n"
        "- Tell us about all your medicines, alcohol and other substance use.\n\n"
        "You may stop treatment and withdraw this consent at any time; tell any staff member.",
    ),
    TreatmentType.RACEMIC_KETAMINE_OFF_LABEL: (
        "Ketamine infusion for depression (off-label use)",
        "Ketamine is approved as an anaesthetic. Using it to treat depression is 'off-label': "
        "it is not an approved use, although research studies and many clinics use it this way. "
        "Your prescriber will explain why they recommend it for you and what other options "
        "exist.\n\n"
        "What to expect: ketamine is given slowly through a drip over about 40 minutes, while "
        "staff watch your blood pressure, breathing and how you feel. Common effects include "
        "feeling detached or dreamlike, dizziness, nausea and a rise in blood pressure; they "
        "usually pass within a couple of hours. Frequent long-term use can harm the bladder and "
        "liver, and ketamine can be misused.\n\n"
        "After each session you must not drive that day, and a responsible adult should take "
        "you home. Benefit is not guaranteed.\n\n"
        "You may stop treatment and withdraw this consent at any time; tell any staff member.",
    ),
    TreatmentType.KETAMINE_ASSISTED_PSYCHOTHERAPY: (
        "Ketamine-assisted psychotherapy",
        "Ketamine-assisted psychotherapy combines preparation sessions with your therapist, "
        "one or more sessions in which you take ketamine under supervision, and integration "
        "sessions afterwards to make sense of the experience. Ketamine is used here off-label: "
        "it is not approved for this purpose.\n\n"
        "During a dosing session you may feel detached, dreamlike or emotional. Staff stay with "
        "you and monitor your blood pressure and wellbeing until the effects have passed. You "
        "must not drive that day and should arrange a ride home.\n\n"
        "Therapy can bring up difficult memories and feelings; your therapist will agree with "
        "you how to pause or stop. You may withdraw this consent at any time.",
    ),
    TreatmentType.TALK_THERAPY: (
        "Psychotherapy (talk therapy)",
        "Talk therapy means regular conversations with a therapist to understand and change "
        "patterns of thinking, feeling and behaving. Sessions are confidential, except where "
        "the law requires us to act to keep you or someone else safe. Therapy can feel "
        "uncomfortable at times; tell your therapist how it is going. You may stop therapy "
        "and withdraw this consent at any time.",
    ),
}


def seed_consent_documents(
    *, clinic: Clinic, published_by: User, now: datetime
) -> list[ConsentDocument]:
    """Publish version 1 of each demo document for ``clinic`` (through the audited service).

    ``published_by`` should be the clinic's administrator.
    """
    return [
        publish_document(
            actor=Actor(user=published_by, roles=frozenset({Role.CLINIC_ADMIN})),
            clinic=clinic,
            treatment_type=treatment_type,
            title=title,
            body=body,
            now=now,
        )
        for treatment_type, (title, body) in DEMO_TEXTS.items()
    ]
