"""Calendar feeds (RFC 5545) and appointment reminders (issue 13.6, 13.7; docs/scheduling.md,
"Calendar feeds and reminders").

``feeds`` builds a feed from plain values (pure); ``selectors`` reads feeds, appointments and
the reminders that are due; ``services`` issues and revokes feeds, changes the clinic's lead
times and sends reminders, each audited; ``channels`` holds the ways a reminder can go
(e-mail); ``tasks`` and ``manage.py send_reminders`` run the periodic sweep.
"""
