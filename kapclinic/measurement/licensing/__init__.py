"""A clinic's licensed wording for the instruments kapclinic ships without it (issue 11.2).

C-SSRS screener, MADRS, QIDS-SR16 and CADSS ship item ids, answer values, scoring and alerts,
but no wording: electronic use needs a licence the clinic holds (clinical reference §4.3-4.5,
§3.4; R-OUT-4, R-OUT-5). A clinic admin loads the wording in the app (Clinic → Instruments):

- ``measurement.models.LicensedWording``: one load per clinic and instrument version, never
  deleted;
- ``wording``: pure: parse and check a wording file, the plain words for each licence status;
- ``services``: load and retire (audited, with a hash of the wording, never the wording);
- ``selectors``: ``instrument_for_clinic``, the one way every page, service and export gets an
  instrument as a clinic gives it, and the lists the picker and the admin page show.

The package sits below ``responses``, ``plans`` and ``safety`` (which give instruments through
it) and above ``instruments`` and ``models`` (pyproject.toml, ADR 0007).
"""
