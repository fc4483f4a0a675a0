"""Intake stages of the synthetic clinic: referrals, screenings, eligibility decisions, consent.

``generate_clinic`` creates the patients and their history, then hands each batch to
``IntakeStages.add`` (``intake``), which draws each patient's referral (``referrals``),
screening, review and eligibility decision (``screening``) and consent (``consent``) from the
distribution's tables (``tables``), at clinic times (``clock``), and writes them in bulk
(``rows``). The stages draw from their own PRNG stream, so the patients, their public
ids and their history for a seed are the same as without them. Every value is invented.

Distribution (per patient, before the dates cut the story short):

- the first ``KEPT_UNSCREENED_PER_CLINIC`` patients of each clinic (by id) are registered and not
  yet screened, with no referral: tests take ``order_by("id")[0]`` of a clinic and record its
  first screening or consent, so those patients must have none;
- ~40% of patients came from a referral (self-referral from the website 60%, about half of
  them sharing their self-check answers; from an outside clinician 40%), received 2-30 days
  before registration; open referrals that are not (yet) patients add ~3% of the patient count
  (new 45%, contacted 35%, declined with a note 20%);
- registration falls within the last year; patients without a recorded weight are mostly not
  screened yet; otherwise ~80% are screened (a share scaled down above ``SCREENED_AT_SCALE``
  patients) 0-21 days after registration, for racemic ketamine
  (~70%; KAP or off-label infusions), esketamine (~20%, depression only) or talk therapy;
- the screening's facts come from the patient: age on the screening day, weight from the latest
  BodyMeasurement, pregnancy status asked only when they could become pregnant (otherwise "not
  applicable"; the patient's pregnancy potential is set from the answer), medication classes
  from their medication list, findings from their diagnoses (glaucoma, epilepsy, substance
  dependence, bipolar disorder, hypertension), a ketamine allergy and buprenorphine, plus rare
  hard-stop findings (aneurysmal vascular disease, AVM, intracerebral haemorrhage) and
  psychosis history; ~4% of work-ups miss an item (incomplete);
- the stored outcome, explanation and result are the engine's (``kapclinic.demo.evaluation``);
  open flags that a prescriber may reasonably accept (blood pressure, psychosis history,
  glaucoma, ...) are overridden with a written reason ~75% of the time, the others (pregnancy,
  age under 18) wait for review; ~92% of signable outcomes are signed by one of the clinic's
  prescribers 0-3 days later, so some wait for a signature;
- ~80% of patients with a signed eligible decision sign the consent for the treatment type of
  their screening family 1-14 days later (esketamine: REMS, racemic ketamine: off-label or KAP,
  talk therapy), presented by a nurse or therapist; ~92% are countersigned soon after (the same
  day if the clinic is still open) by a nurse or prescriber (the rest await it), and ~5% of those
  are withdrawn later with a reason.
  Nobody with a hard stop (not eligible) is consented.

So that even a small demo shows every stage, each clinic's first patients who reach the point
show the rare ones (``SHOWCASE``): a hard stop (signed not eligible), an overridden
blood-pressure flag, a consent awaiting countersignature and a withdrawn consent.

Timestamps are on weekdays between 08:30 and 17:30 in the clinic's time zone, strictly before
``today``, in the order referral < registration <= screening < overrides < decision < consent <
countersignature < withdrawal. A stage whose date would reach ``today`` does not happen yet.

On the real date (``now`` given: ``generate_demo``), a screening whose slot falls on ``today``
before ``now`` happens too (a working day of its clinic, in the clinic's zone); its urgent
safety task, if item 9 > 0, is still open, so nobody has signed it (R-OUT-1). So that staff
always meet the safety path, ``show_open_safety_tasks`` then makes sure of one open urgent task
in each clinic: a clinic open today with none from the draw screens its first patient waiting
for a screening earlier today, with item 9 above "not at all"; a clinic closed today, or not
open yet, records nothing today, and that patient's screening instead falls on its last working
day, with the task still unacknowledged. An open urgent task nobody acknowledged in time was
escalated when it fell due (``ScreeningSafety.escalate_overdue``). One forced answer per clinic
leaves item 9's share as drawn. Without ``now`` (the tests' clinics) none of this happens.
Like the rest of the generator, no audit entries are written (only the published documents are
audited, as their service does).
"""

from __future__ import annotations

from kapclinic.demo.stages.intake import IntakeStages
from kapclinic.demo.stages.rows import PatientHistory, StageCounts, clinic_documents
from kapclinic.demo.stages.tables import (
    KEPT_UNSCREENED_PER_CLINIC,
    SCREENED_AT_SCALE,
    SHOWCASE,
    SHOWCASE_AFTER_OPENING,
)

__all__ = [
    "KEPT_UNSCREENED_PER_CLINIC",
    "SCREENED_AT_SCALE",
    "SHOWCASE",
    "SHOWCASE_AFTER_OPENING",
    "IntakeStages",
    "PatientHistory",
    "StageCounts",
    "clinic_documents",
]
