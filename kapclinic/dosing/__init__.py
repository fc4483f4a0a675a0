"""Dosing sessions (issue 15): the prepared setting, the pre-dose checks, the dose, live
monitoring and safe discharge.

So far only the pure rules exist (``kapclinic.dosing.rules``): vital-sign plausibility and
LOINC coding, intra-session alerts, dose checks and discharge criteria, each a function of plain
values with its thresholds as data. The session models, services and pages that call them are
issue 15's next step (docs/dosing.md).
"""
