"""The ledger report (issue 14.5; R-CS-1..4, R-CS-6): per account, product and date range,
every regulatory field, opening and closing balances, totals per kind, printable, CSV; on the
demo's generated stock history (kapclinic.demo.ledger)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.ledger import services
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.models import Entry, EntryKind, Holding, LedgerSettings, StockAccount
from kapclinic.ledger.reports import selectors
from kapclinic.ledger.reports.export import HEADER, safe_cell
from kapclinic.ledger.reports.selectors import ReportQuery, view_ledger_report
from kapclinic.ledger.tests.conftest import VIAL_SUPPLIER, Stock

FAR_FROM = date(2020, 1, 1)
FAR_TO = date(2030, 12, 31)


def _body(response: object) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]


def _safe(clinic: Clinic) -> StockAccount:
    return StockAccount.objects.get(clinic=clinic, name="Main safe")


def _home(demo_user: Callable[[Role], User]) -> tuple[Clinic, Actor]:
    user = demo_user(Role.PRESCRIBER)
    clinic = Clinic.objects.filter(memberships__user=user).order_by("id").first()
    assert clinic is not None
    return clinic, Actor.for_user(user, clinic)


def _params(
    account: StockAccount, start: date = FAR_FROM, end: date = FAR_TO, **more: str
) -> dict[str, str]:
    return {"account": str(account.public_id), "start": str(start), "end": str(end), **more}


@pytest.fixture
def home(
    demo: object, demo_user: Callable[[Role], User], demo_password: str
) -> tuple[Clinic, Actor]:
    """The demo prescriber's clinic, whose main safe also holds a witnessed waste (the small
    demo's IV infusions, and so its wastes, may all fall in the other clinic)."""
    clinic, actor = _home(demo_user)
    nurse = Actor.for_user(
        User.objects.filter(memberships__clinic=clinic, memberships__role=Role.NURSE).order_by(
            "id"
        )[0],
        clinic,
    )
    holding = Holding.objects.filter(
        account=_safe(clinic), lot__product__unit_kind="vial", balance_units__gt=0
    ).select_related("lot__product")[0]
    now = timezone.now()
    services.waste(
        actor=actor,
        account=holding.account,
        lot=holding.lot,
        mg="500",
        containers_emptied=1,
        reason="Vial dropped and broken; contents lost to the floor.",
        witness=services.sign_as_witness(
            actor=actor, email=nurse.user.email, password=demo_password, ip_address=None, now=now
        ),
        occurred_at=now - timedelta(days=1),
        now=now,
    )
    return clinic, actor


def test_r_cs_6_the_report_shows_every_regulatory_field_and_balances_that_add_up(
    home: tuple[Clinic, Actor], client_for: Callable[[Role], Client]
) -> None:
    clinic, actor = home
    safe = _safe(clinic)
    report = view_ledger_report(
        actor=actor, query=ReportQuery(safe, None, FAR_FROM, FAR_TO), page_number=1
    )
    entries = Entry.objects.filter(account=safe)
    assert report.page.count == entries.count() > 0
    for product in report.products:
        assert product.opening_mg == 0
        moved = sum((t.mg for t in product.totals), Decimal(0))
        assert product.closing_mg == product.opening_mg + moved
    held = Holding.objects.filter(account=safe).aggregate(mg=Sum("balance_mg"))["mg"]
    assert sum(p.closing_mg for p in report.products) == held

    page = client_for(Role.PRESCRIBER).get(reverse("ledger:report"), _params(safe))
    assert page.status_code == 200
    html = page.content.decode()
    administration = entries.filter(kind=EntryKind.ADMINISTRATION).select_related("patient")[0]
    patient = administration.patient
    assert patient is not None
    # R-CS-2: the patient's name AND address, who administered.
    assert patient.full_name in html
    assert patient.address_line in html
    assert f"Administered by {administration.administered_by_label}" in html
    receipt = entries.filter(kind=EntryKind.RECEIPT)[0]  # R-CS-1
    for value in (receipt.supplier_name, receipt.supplier_dea, receipt.invoice_number):
        assert value in html
    waste = entries.filter(kind=EntryKind.WASTE)[0]  # R-CS-3
    assert f"Witness: {waste.witness_label}" in html
    assert "Records are kept at least 2 years" in html
    assert 'href="/static/css/ledger-report.css"' in html or "ledger-report" in html
    assert "style=" not in html.split("<main", 1)[1]  # the CSP forbids inline styles


def test_the_opening_balance_is_every_entry_before_the_range_per_lot(
    home: tuple[Clinic, Actor],
) -> None:
    clinic, actor = home
    safe = _safe(clinic)
    dates = sorted(Entry.objects.filter(account=safe).values_list("occurred_at", flat=True))
    middle = timezone.localdate(dates[len(dates) // 2], clinic.tzinfo)
    report = view_ledger_report(
        actor=actor, query=ReportQuery(safe, None, middle, FAR_TO), page_number=1
    )
    for product in report.products:
        for lot in product.lots:
            before = Entry.objects.filter(
                account=safe,
                lot__number=lot.lot,
                occurred_at__lt=ReportQuery(safe, None, middle, FAR_TO).instants()[0],
            ).aggregate(mg=Sum("quantity_mg"), units=Sum("units"))
            assert lot.opening_mg == (before["mg"] or 0)
            assert lot.opening_units == (before["units"] or 0)
    assert any(p.opening_mg > 0 for p in report.products)
    assert (
        report.page.count
        == Entry.objects.filter(
            account=safe, occurred_at__gte=ReportQuery(safe, None, middle, FAR_TO).instants()[0]
        ).count()
    )


def test_a_product_filter_keeps_only_that_products_entries(
    home: tuple[Clinic, Actor], client_for: Callable[[Role], Client]
) -> None:
    clinic, actor = home
    safe = _safe(clinic)
    vial = Entry.objects.filter(account=safe, kind=EntryKind.WASTE)[0].lot.product
    report = view_ledger_report(
        actor=actor, query=ReportQuery(safe, vial, FAR_FROM, FAR_TO), page_number=1
    )
    assert [p.product for p in report.products] == [vial.name]
    assert {e.lot.product_id for e in report.entries} == {vial.pk}
    page = client_for(Role.PRESCRIBER).get(
        reverse("ledger:report"), _params(safe, product=str(vial.public_id))
    )
    assert page.status_code == 200


def test_pages_split_a_long_report_and_say_how_many_rows(
    home: tuple[Clinic, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic, actor = home
    safe = _safe(clinic)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 10)
    total = Entry.objects.filter(account=safe).count()
    query = ReportQuery(safe, None, FAR_FROM, FAR_TO)
    last = view_ledger_report(actor=actor, query=query, page_number=10_000)
    assert last.page.number == last.page.num_pages
    assert len(last.entries) == total - (last.page.number - 1) * 10
    first = view_ledger_report(actor=actor, query=query, page_number=0)
    assert (first.page.number, first.page.first_row, first.page.last_row) == (1, 1, 10)
    assert first.page.has_next
    assert not first.page.has_previous


def test_the_report_reads_a_constant_number_of_queries(
    home: tuple[Clinic, Actor],
    client_for: Callable[[Role], Client],
    django_assert_num_queries: Any,
    stock: Stock,
    receive: Callable[..., Entry],
) -> None:
    clinic, _ = home
    safe = _safe(clinic)
    client = client_for(Role.PRESCRIBER)
    url = reverse("ledger:report")
    client.get(url, _params(safe))  # warm caches (content types, session)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        assert client.get(url, _params(safe)).status_code == 200
    # More entries, of more lots, products and patients.
    lot = Entry.objects.filter(account=safe, kind=EntryKind.RECEIPT)[0].lot
    for n in range(5):
        services.receive(
            actor=stock.nurse,
            account=safe,
            lot=lot,
            containers=1,
            occurred_at=stock.now - timedelta(days=n),
            now=stock.now,
            **{**VIAL_SUPPLIER, "invoice_number": f"INV-Q{n}"},
        )
    receive(stock, stock.devices, 4, account=safe)
    with django_assert_num_queries(len(before.captured_queries)):
        assert client.get(url, _params(safe)).status_code == 200


def test_the_csv_has_every_entry_with_its_fields_and_is_audited(
    home: tuple[Clinic, Actor], client_for: Callable[[Role], Client]
) -> None:
    clinic, _ = home
    safe = _safe(clinic)
    response = client_for(Role.CLINIC_ADMIN).get(reverse("ledger:report-csv"), _params(safe))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-')
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert rows[0] == HEADER
    assert len(rows) - 1 == Entry.objects.filter(account=safe).count()
    by_kind = {row[3]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    administration = by_kind[EntryKind.ADMINISTRATION.label]
    assert administration["patient_name"]
    assert administration["patient_address"]
    assert administration["administered_or_dispensed_by"]
    assert Decimal(administration["quantity_mg"]) < 0  # a number, not quoted text
    assert by_kind[EntryKind.RECEIPT.label]["supplier_dea"]
    assert by_kind[EntryKind.WASTE.label]["witness"]
    exported = AuditEvent.objects.filter(action=LedgerAuditAction.REPORT_EXPORTED)
    assert exported.count() == 1
    assert exported[0].detail["account"] == str(safe.public_id)


def test_viewing_the_report_is_audited(home: tuple[Clinic, Actor]) -> None:
    clinic, actor = home
    safe = _safe(clinic)
    view_ledger_report(actor=actor, query=ReportQuery(safe, None, FAR_FROM, FAR_TO), page_number=1)
    viewed = AuditEvent.objects.get(action=LedgerAuditAction.REPORT_VIEWED)
    assert viewed.detail["from"] == str(FAR_FROM)
    assert int(viewed.detail["patients_named"]) > 0


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(
    home: tuple[Clinic, Actor], stock: Stock, client_for: Callable[[Role], Client]
) -> None:
    for text in ('=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tx"):
        assert safe_cell(text) == f"'{text}"
    assert safe_cell("Cascade") == "Cascade"
    assert safe_cell(Decimal("-35.5")) == "-35.5"
    assert safe_cell(None) == ""
    assert safe_cell(date(2026, 1, 2)) == "2026-01-02"
    services.receive(
        actor=stock.nurse,
        account=stock.safe,
        lot=stock.vials,
        containers=1,
        occurred_at=stock.now,
        now=stock.now,
        **{**VIAL_SUPPLIER, "supplier_name": '=HYPERLINK("http://example.org")'},
    )
    response = client_for(Role.PRESCRIBER).get(reverse("ledger:report-csv"), _params(stock.safe))
    text = _body(response)
    assert "'=HYPERLINK" in text


def test_the_retention_period_follows_the_clinics_setting(
    home: tuple[Clinic, Actor], client_for: Callable[[Role], Client]
) -> None:
    clinic, actor = home
    LedgerSettings.objects.create(clinic=clinic, retention_years=5)
    safe = _safe(clinic)
    report = view_ledger_report(
        actor=actor, query=ReportQuery(safe, None, date(2025, 3, 1), FAR_TO), page_number=1
    )
    assert (report.retention_years, report.retained_until) == (5, date(2030, 3, 1))
    html = client_for(Role.PRESCRIBER).get(reverse("ledger:report"), _params(safe)).content
    assert b"at least 5 years" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-05-01", "end": "2026-04-01"}, "The end date is before the start date."),
        ({"start": "1900-01-01"}, "Give a date from 2000 on."),
        ({"start": "yesterday"}, "Enter a valid date."),
    ],
)
def test_bad_input_is_explained_not_fatal(
    home: tuple[Clinic, Actor],
    client_for: Callable[[Role], Client],
    params: dict[str, str],
    message: str,
) -> None:
    clinic, _ = home
    query = {**_params(_safe(clinic)), **params}
    for name in ("ledger:report", "ledger:report-csv"):
        response = client_for(Role.PRESCRIBER).get(reverse(name), query)
        assert response.status_code == 422
        assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="ledger.report").exists()


def test_another_clinics_account_is_not_offered_nor_reported(
    home: tuple[Clinic, Actor], client_for: Callable[[Role], Client]
) -> None:
    clinic, actor = home
    other = StockAccount.objects.exclude(clinic=clinic).filter(name="Main safe")[0]
    for name in ("ledger:report", "ledger:report-csv"):
        for params in (
            _params(other),
            _params(_safe(clinic), product="00000000-0000-4000-8000-000000000000"),
        ):
            assert client_for(Role.PRESCRIBER).get(reverse(name), params).status_code == 404
    with pytest.raises(PermissionError):
        view_ledger_report(
            actor=actor, query=ReportQuery(other, None, FAR_FROM, FAR_TO), page_number=1
        )
    with pytest.raises(PermissionError):
        selectors.export_ledger_report(
            actor=actor, query=ReportQuery(other, None, FAR_FROM, FAR_TO)
        )


def test_the_empty_form_proposes_the_last_two_years(
    home: tuple[Clinic, Actor], client_for: Callable[[Role], Client]
) -> None:
    response = client_for(Role.CLINIC_ADMIN).get(reverse("ledger:report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Main safe" in html
    assert "All products" in html
    assert not AuditEvent.objects.filter(action=LedgerAuditAction.REPORT_VIEWED).exists()


@pytest.mark.parametrize("role", [Role.NURSE, Role.THERAPIST, Role.FRONT_DESK, Role.RESEARCHER])
def test_only_prescribers_and_clinic_admins_run_reports(
    home: tuple[Clinic, Actor], client_for: Callable[[Role], Client], role: Role
) -> None:
    clinic, _ = home
    for name in ("ledger:report", "ledger:report-csv"):
        assert client_for(role).get(reverse(name), _params(_safe(clinic))).status_code == 403
