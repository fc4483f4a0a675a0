"""Extract the ICD-10-CM code list that kapclinic ships (kapclinic/patients/data/).

Reads the tabular list XML published by NCHS/CMS (icd10cm-tabular-*.xml) and writes a TSV of
``code<TAB>description<TAB>billable`` for chapter 5 (F01-F99) and the few other codes listed in
EXTRA below, each kept for a stated reason. Codes are written with their dot (F43.10); a code is
billable when it has no subdivisions, and codes that take a 7th character (T14.91, H40.11-) are
written in full (T14.91XA), the shortened forms as non-billable headers.

    python scripts/extract_icd10cm.py icd10cm-tabular-April-1-2026.xml \
        > kapclinic/patients/data/icd10cm_fy2026.tsv

Standard library only: the file is read once by a developer, not by the app.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator

# Code prefixes outside chapter 5, each for a reason in docs/clinical-reference.md.
EXTRA: dict[str, str] = {
    # Suicidality: C-SSRS screening, boxed warning (R-SCR-2 "recent suicide attempt").
    "R45.851": "suicidal ideations",
    "R45.88": "nonsuicidal self-harm",
    "T14.91": "suicide attempt",
    "Z91.51": "personal history of suicidal behavior",
    "Z91.52": "personal history of nonsuicidal self-harm",
    # Psychosis / mania history (R-SCR-2) when no longer current.
    "Z86.59": "personal history of other mental and behavioral disorders",
    # R-SCR-1 contraindications: aneurysmal vascular disease, AVM, intracerebral haemorrhage,
    # hypersensitivity to ketamine.
    "I71": "aortic aneurysm and dissection",
    "I72": "other aneurysm (peripheral arterial)",
    "I67.1": "cerebral aneurysm, nonruptured",
    "Q28.2": "arteriovenous malformation of cerebral vessels",
    "Q28.3": "other malformations of cerebral vessels",
    "I61": "nontraumatic intracerebral hemorrhage",
    "I69.1": "sequelae of nontraumatic intracerebral hemorrhage",
    "Z88.4": "allergy status to anesthetic agent",
    # R-SCR-2 flags: hypertension, raised intracranial pressure, glaucoma, seizures, pregnancy
    # and breastfeeding, traumatic brain injury.
    "I10": "essential hypertension",
    "I11": "hypertensive heart disease",
    "I12": "hypertensive chronic kidney disease",
    "I13": "hypertensive heart and chronic kidney disease",
    "I15": "secondary hypertension",
    "I16": "hypertensive crisis",
    "G93.2": "benign intracranial hypertension",
    "H40": "glaucoma",
    "G40": "epilepsy and recurrent seizures",
    "R56": "convulsions",
    "Z33.1": "pregnant state, incidental",
    "Z32.01": "positive pregnancy test",
    "Z39.1": "care of lactating mother",
    "Z87.820": "personal history of traumatic brain injury",
    # Sleep apnoea risk (STOP-BANG, §2.2), insomnia and obesity (mg/kg dosing) are common
    # comorbidities the demo clinic records.
    "G47.0": "insomnia",
    "G47.33": "obstructive sleep apnea",
    "E66": "obesity",
    # Adverse effects of repeated ketamine to follow up (§5): cystitis, toxic liver disease.
    "N30": "cystitis",
    "K71": "toxic liver disease",
}


def _text(element: ET.Element, tag: str) -> str:
    found = element.find(tag)
    return " ".join((found.text or "").split()) if found is not None else ""


def _extensions(element: ET.Element) -> dict[str, str] | None:
    definition = element.find("sevenChrDef")
    if definition is None:
        return None
    return {
        e.attrib["char"]: " ".join((e.text or "").split()) for e in definition.findall("extension")
    }


def _walk(diag: ET.Element, seventh: dict[str, str] | None) -> Iterator[tuple[str, str, bool]]:
    code, desc = _text(diag, "name"), _text(diag, "desc")
    seventh = _extensions(diag) or seventh
    children = diag.findall("diag")
    if children:
        yield code, desc, False
        for child in children:
            yield from _walk(child, seventh)
    elif seventh:
        yield code, desc, False
        stem = code.replace(".", "").ljust(6, "X")
        for char, meaning in seventh.items():
            full = stem + char
            yield f"{full[:3]}.{full[3:]}", f"{desc}, {meaning}", True
    else:
        yield code, desc, True


def _wanted(code: str) -> bool:
    if code.startswith("F"):
        return True
    return any(code.startswith(prefix) for prefix in EXTRA)


def main(path: str) -> None:
    # A government file the developer downloaded, not input from users.
    root = ET.parse(path).getroot()  # noqa: S314
    rows: dict[str, tuple[str, bool]] = {}
    for chapter in root.iter("chapter"):
        for section in chapter.iter("section"):
            for diag in section.findall("diag"):
                for code, desc, billable in _walk(diag, None):
                    if _wanted(code):
                        rows[code] = (desc, billable)
    missing = [prefix for prefix in EXTRA if prefix not in rows]
    if missing:
        sys.exit(f"not in this release: {', '.join(missing)}")
    out = sys.stdout
    out.write("code\tdescription\tbillable\n")
    for code in sorted(rows):
        desc, billable = rows[code]
        out.write(f"{code}\t{desc}\t{'Y' if billable else 'N'}\n")


if __name__ == "__main__":
    main(sys.argv[1])
