"""Medication classes that matter for ketamine and esketamine, and how a drug name maps to one.

Sources: Spravato label warnings (clinical-reference §2.1): CNS depressants (benzodiazepines,
opioids, alcohol) increase sedation; psychostimulants and MAOIs increase blood pressure; the REMS
Patient Monitoring Form asks for benzodiazepines, non-benzodiazepine sedative hypnotics,
psychostimulants, MAOIs and opioids (§1.2). Lamotrigine is listed because clinics ask about it
(it may blunt ketamine's effect); no reference was found for it here, so it is a flag to review,
not a rule. The name lists are a starting point that a clinic extends; unlisted drugs can be
classed by hand.
"""

from __future__ import annotations

from django.db import models


class InteractionClass(models.TextChoices):
    NONE = "", "No ketamine-relevant class"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine (more sedation)"
    HYPNOTIC = "hypnotic", "Non-benzodiazepine sedative hypnotic (more sedation)"
    OPIOID = "opioid", "Opioid (more sedation, respiratory depression)"
    PSYCHOSTIMULANT = "psychostimulant", "Psychostimulant (higher blood pressure)"
    MAOI = "maoi", "MAO inhibitor (higher blood pressure)"
    LAMOTRIGINE = "lamotrigine", "Lamotrigine (may blunt response; review)"


KNOWN_DRUGS: dict[InteractionClass, tuple[str, ...]] = {
    InteractionClass.BENZODIAZEPINE: (
        "alprazolam",
        "chlordiazepoxide",
        "clobazam",
        "clonazepam",
        "diazepam",
        "lorazepam",
        "midazolam",
        "oxazepam",
        "temazepam",
        "triazolam",
    ),
    InteractionClass.HYPNOTIC: ("eszopiclone", "zaleplon", "zolpidem", "zopiclone"),
    InteractionClass.OPIOID: (
        "buprenorphine",
        "codeine",
        "fentanyl",
        "hydrocodone",
        "hydromorphone",
        "methadone",
        "morphine",
        "oxycodone",
        "tapentadol",
        "tramadol",
    ),
    InteractionClass.PSYCHOSTIMULANT: (
        "amphetamine",
        "armodafinil",
        "dexmethylphenidate",
        "dextroamphetamine",
        "lisdexamfetamine",
        "methylphenidate",
        "modafinil",
    ),
    InteractionClass.MAOI: (
        "isocarboxazid",
        "phenelzine",
        "selegiline",
        "tranylcypromine",
        "moclobemide",
    ),
    InteractionClass.LAMOTRIGINE: ("lamotrigine",),
}


def classify(drug_name: str) -> InteractionClass:
    """The class of a drug by its generic name appearing in what was typed ("Xanax
    (alprazolam) 0.5 mg" → benzodiazepine); NONE when nothing matches."""
    text = drug_name.casefold()
    for interaction, names in KNOWN_DRUGS.items():
        if any(name in text for name in names):
            return interaction
    return InteractionClass.NONE
