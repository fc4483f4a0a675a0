"""Tamper evidence (issue 14.3): verifying every account's chain and its balances."""
