"""The dosing session's clinical rules as pure functions (no ORM, no clock: ``now`` is passed).

Every entry point (the session workflow, the monitoring console, the API, the generator) asks
these; thresholds are data with the reference's defaults, so a protocol version or a clinic can
set its own where the reference says the value is configurable or NOT FOUND.
"""
