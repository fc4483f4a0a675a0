from __future__ import annotations

# Patients are clinical records: they are created and changed through the app's services
# (with audit), never through the Django admin, which only manages reference data.
