"""verify_ledger's plumbing (issue 14.3): the ledger's chains are checkpointed by
``audit_checkpoint`` in the audit trail's store, each trail checks only its own chains there,
and the nightly task records a check per account for the badge."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from kapclinic.audit.checkpoints import FileSink
from kapclinic.audit.verification import verify_chain
from kapclinic.ledger.integrity.tasks import verify_ledger_nightly
from kapclinic.ledger.models import ChainCheck, Entry
from kapclinic.ledger.selectors import latest_check
from kapclinic.ledger.tests.conftest import Stock
from kapclinic.ledger.tests.histories import safe_history
from kapclinic.ledger.tests.tampering import execute, without_append_only_triggers


@pytest.fixture
def history(stock: Stock, demo_password: str) -> list[Entry]:
    return safe_history(stock, demo_password)


def test_audit_checkpoint_signs_the_ledgers_chains_in_the_same_store(
    stock: Stock, history: list[Entry], tmp_path: Path
) -> None:
    path = tmp_path / "checkpoints.jsonl"
    with override_settings(AUDIT_CHECKPOINT_FILE=str(path)):
        out = StringIO()
        call_command("audit_checkpoint", stdout=out)
        assert f"{stock.safe.chain_key} #6" in out.getvalue()
        chains = {json.loads(line)["chain"] for line in path.read_text().splitlines()}
        assert stock.safe.chain_key in chains
        assert any(chain.startswith("clinic:") for chain in chains)
        # Each trail checks its own chains in the shared store, and ignores the other's.
        audit = verify_chain(checkpoints=FileSink(path))
        assert audit.ok, audit.problems
        assert not any(chain.startswith("account:") for chain in audit.chains)
        out = StringIO()
        call_command("verify_ledger", stdout=out)
        total = Entry.objects.count()  # the demo's stock histories and this test's six
        assert f"Ledger verified: {total} entries" in out.getvalue()
        # The nightly task reads the configured store too; the badge shows its verdict.
        assert verify_ledger_nightly.enqueue().return_value is True
        check = latest_check(stock.safe)
        assert check is not None
        assert (check.ok, check.entries_checked, check.used_checkpoints) == (True, 6, True)


def test_the_nightly_task_records_a_broken_account_for_the_badge(
    stock: Stock, history: list[Entry]
) -> None:
    with without_append_only_triggers():
        execute("UPDATE ledger_entry SET reason = 'x' WHERE id = %s", [history[4].pk])
    assert verify_ledger_nightly.enqueue().return_value is False
    check = latest_check(stock.safe)
    assert check is not None
    assert (check.ok, check.first_bad_position) == (False, 5)
    assert str(history[4].public_id) in check.problem
    assert ChainCheck.objects.get(account=stock.cart).ok


def test_verify_ledger_enqueue_queues_the_task(stock: Stock) -> None:
    out = StringIO()
    call_command("verify_ledger", "--enqueue", stdout=out)
    assert "Queued the ledger verification" in out.getvalue()
    assert ChainCheck.objects.filter(account=stock.safe).count() == 1
