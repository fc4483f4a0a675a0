from __future__ import annotations

import logging

from kapclinic.core.request_context import current_request_id


class RequestIdFilter(logging.Filter):
    """Stamp every log record with the id of the request that produced it (or '-')."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True
