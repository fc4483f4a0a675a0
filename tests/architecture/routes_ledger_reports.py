"""One real request per ledger report route (issue 14.5), for the route-by-role tests: the
demo's main safe over two years, as a page and as CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from kapclinic.ledger.models import StockAccount
from tests.architecture.routing import Call, World


def ledger_report_routes(world: World) -> dict[str, Call]:
    safe = StockAccount.objects.get(clinic=world.home, name="Main safe")
    query = urlencode({"account": str(safe.public_id), "start": "2025-01-01", "end": "2026-12-31"})
    return {
        "ledger:report": Call(
            "GET", f"{reverse('ledger:report')}?{query}", Capability.REPORT_LEDGER
        ),
        "ledger:report-csv": Call(
            "GET", f"{reverse('ledger:report-csv')}?{query}", Capability.REPORT_LEDGER
        ),
    }
