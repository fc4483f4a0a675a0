"""Patients waiting for a slot (issue 13.4): entries added by staff, offered a freed slot by the
cancel service, booked or withdrawn."""
