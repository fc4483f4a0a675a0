"""The calendars (issue 13.4): day and week views per clinic, room, staff member and patient,
an appointment's page with its actions, the waitlist and the staff availability pages."""
