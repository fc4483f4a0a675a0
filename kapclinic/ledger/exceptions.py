from __future__ import annotations

from collections.abc import Sequence

from kapclinic.core.exceptions import DomainError


class LedgerError(DomainError):
    """The ledger refused an entry or an action; ``problems`` lists every reason, each safe to
    show to staff (the whole form is shown again with them; nothing typed is lost)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = tuple(problems)
