"""Issue 10, point 4: fourteen ways an attacker with write access to the database (but not the
audit key, and not the checkpoint store) could tamper with the trail, each caught by
verify_audit; the ones only checkpoints can catch are shown passing without one.

Every test tampers in raw SQL, as such an attacker would, with the triggers switched off.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from kapclinic.audit.chain import GENESIS_HASH, sign_checkpoint
from kapclinic.audit.checkpoints import FileSink, write_checkpoint
from kapclinic.audit.models import AuditEvent
from kapclinic.audit.services import hashed_content
from kapclinic.audit.tests.helpers import (
    CHAIN_A,
    CHAIN_B,
    CLINIC_B,
    GUESSED_KEY,
    Sealer,
    delete_from,
    execute,
    forge_entry,
    guessed_key_claiming_the_real_id,
    guessed_key_with_its_own_id,
    hash_of,
    plain_sha256_keeping_key_id,
    plain_sha256_posing_as_legacy,
    reseal_from,
    set_head,
    without_append_only_triggers,
    write_entries,
)
from kapclinic.audit.verification import VerificationResult, verify_chain

pytestmark = pytest.mark.django_db


def _caught(result: VerificationResult, position: int, *words: str) -> None:
    assert not result.ok, result.summary()
    assert result.first_bad_position == position, result.problems
    for word in words:
        assert word in result.problem, result.problem


def _verify_command(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


# (1) --------------------------------------------------------------------------------------
def test_1_an_edited_old_entry_is_caught_by_its_seal(actor: AbstractBaseUser) -> None:
    events = write_entries(actor, 6)
    with without_append_only_triggers():
        execute("UPDATE audit_auditevent SET purpose = 'x' WHERE id = %s", [events[2].pk])
    _caught(verify_chain(), 3, "does not match its seal")
    with pytest.raises(CommandError, match="First bad entry: #3"):
        call_command("verify_audit")


# (2) --------------------------------------------------------------------------------------
@pytest.mark.parametrize("sealer", [plain_sha256_keeping_key_id, plain_sha256_posing_as_legacy])
def test_2_an_edited_entry_with_its_own_hash_recomputed_in_plain_sha256_is_caught(
    actor: AbstractBaseUser, sealer: Sealer
) -> None:
    events = write_entries(actor, 6)
    with without_append_only_triggers():
        execute("UPDATE audit_auditevent SET actor_label = 'x' WHERE id = %s", [events[2].pk])
        event = AuditEvent.objects.get(pk=events[2].pk)
        key_id, digest = sealer(event, hashed_content(event), event.prev_hash)
        execute(
            "UPDATE audit_auditevent SET entry_hash = %s, key_id = %s WHERE id = %s",
            [digest, key_id, event.pk],
        )
    _caught(verify_chain(), 3)


# (3) and (4) ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sealer", "words"),
    [
        (plain_sha256_keeping_key_id, ("does not match its seal",)),
        (plain_sha256_posing_as_legacy, ("unkeyed", "keyed from #1")),
        (guessed_key_with_its_own_id, ("unknown key id", GUESSED_KEY.id)),
        (guessed_key_claiming_the_real_id, ("does not match its seal",)),
    ],
    ids=["3-sha256", "3-sha256-as-legacy", "4-wrong-key", "4-wrong-key-real-id"],
)
@pytest.mark.parametrize("edited", [1, 3])
def test_3_4_an_edit_re_sealed_through_to_the_head_without_the_key_is_caught(
    actor: AbstractBaseUser, sealer: Sealer, words: tuple[str, ...], edited: int
) -> None:
    events = write_entries(actor, 6)
    with without_append_only_triggers():
        execute("UPDATE audit_auditevent SET target = 'x' WHERE id = %s", [events[edited - 1].pk])
        reseal_from(edited, sealer)
    _caught(verify_chain(), edited, *words)


# (5) --------------------------------------------------------------------------------------
def test_5_a_deleted_middle_entry_is_caught(actor: AbstractBaseUser) -> None:
    events = write_entries(actor, 5)
    with without_append_only_triggers():
        execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    _caught(verify_chain(), 2, "missing")


# (6) and (7) ------------------------------------------------------------------------------
@pytest.mark.parametrize("deleted", [1, 50])
def test_6_7_newest_entries_deleted_with_the_head_rolled_back_need_a_checkpoint(
    actor: AbstractBaseUser, sink: FileSink, deleted: int
) -> None:
    write_entries(actor, 55)
    write_checkpoint(sink=sink, now=timezone.now())
    with without_append_only_triggers():
        delete_from(56 - deleted)
        set_head(55 - deleted, hash_of(55 - deleted))
    # Without a checkpoint the trail is consistent with itself: not detectable (documented).
    alone = verify_chain()
    assert alone.ok
    assert "cannot be detected" in " ".join(alone.summary())
    _caught(verify_chain(checkpoints=sink), 56 - deleted, "recorded #55", "truncated")
    with pytest.raises(CommandError, match=f"First bad entry: #{56 - deleted}"):
        call_command("verify_audit", "--checkpoints", str(sink.path))


# (8) --------------------------------------------------------------------------------------
def test_8_the_newest_entry_deleted_without_touching_the_head_is_caught(
    actor: AbstractBaseUser,
) -> None:
    events = write_entries(actor, 3)
    with without_append_only_triggers():
        execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    _caught(verify_chain(), 3, "chain head records entry #3")


# (9) --------------------------------------------------------------------------------------
def test_9_a_wiped_trail_with_the_head_reset_needs_a_checkpoint(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    write_entries(actor, 4)
    write_checkpoint(sink=sink, now=timezone.now())
    with without_append_only_triggers():
        delete_from(1)
        set_head(0, GENESIS_HASH)
    assert verify_chain().ok  # an empty trail is consistent with itself
    _caught(verify_chain(checkpoints=sink), 1, "ends at #0", "recorded #4")


# (10) -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sealer", "words"),
    [
        (plain_sha256_posing_as_legacy, ("unkeyed",)),
        (plain_sha256_keeping_key_id, ("does not match its seal",)),
        (guessed_key_with_its_own_id, ("unknown key id",)),
    ],
)
def test_10_a_forged_newest_entry_with_the_head_advanced_is_caught(
    actor: AbstractBaseUser, sealer: Sealer, words: tuple[str, ...]
) -> None:
    events = write_entries(actor, 3)
    with without_append_only_triggers():
        forge_entry(position=4, prev=events[-1].entry_hash, sealer=sealer, like=events[0])
        set_head(4, hash_of(4))
    _caught(verify_chain(), 4, *words)


# (11) -------------------------------------------------------------------------------------
def test_11_two_swapped_entries_are_caught(actor: AbstractBaseUser) -> None:
    events = write_entries(actor, 4)
    with without_append_only_triggers():
        # Swap entries 2 and 3, positions and all (hashes travel with their rows).
        execute("UPDATE audit_auditevent SET position = 1000 WHERE id = %s", [events[1].pk])
        execute("UPDATE audit_auditevent SET position = 2 WHERE id = %s", [events[2].pk])
        execute("UPDATE audit_auditevent SET position = 3 WHERE id = %s", [events[1].pk])
    _caught(verify_chain(), 2, "does not link")


# (12) -------------------------------------------------------------------------------------
@pytest.mark.parametrize("sealer", [plain_sha256_posing_as_legacy, guessed_key_with_its_own_id])
def test_12_an_entry_inserted_in_the_middle_and_renumbered_is_caught(
    actor: AbstractBaseUser, sealer: Sealer
) -> None:
    events = write_entries(actor, 5)
    with without_append_only_triggers():
        # Make room at #3 (backwards through a free range, as positions are unique).
        for event in reversed(events[2:]):
            execute(
                "UPDATE audit_auditevent SET position = %s WHERE id = %s",
                [event.position + 1000, event.pk],
            )
            execute(
                "UPDATE audit_auditevent SET position = %s WHERE id = %s",
                [event.position + 1, event.pk],
            )
        forge_entry(position=3, prev=events[1].entry_hash, sealer=sealer, like=events[0])
        reseal_from(4, sealer)
    _caught(verify_chain(), 3)


# (13) -------------------------------------------------------------------------------------
@pytest.mark.parametrize("edit", ["forged-signature", "position", "hash", "not-json"])
def test_13_an_edited_checkpoint_file_is_reported(
    actor: AbstractBaseUser, sink: FileSink, edit: str
) -> None:
    write_entries(actor, 4)
    write_checkpoint(sink=sink, now=timezone.now())
    write_entries(actor, 2)
    write_checkpoint(sink=sink, now=timezone.now())
    lines = sink.path.read_text().splitlines()
    document = json.loads(lines[1])
    if edit == "forged-signature":
        forged = sign_checkpoint(
            position=document["position"],
            entry_hash=document["entry_hash"],
            at=timezone.now(),
            key=GUESSED_KEY,
        )
        document = {**document, "signature": forged.signature, "at": forged.at}
    elif edit == "position":
        document["position"] = 4
    elif edit == "hash":
        document["entry_hash"] = hash_of(5)
    lines[1] = "{not json" if edit == "not-json" else json.dumps(document)
    sink.path.write_text("\n".join(lines) + "\n")
    result = verify_chain(checkpoints=sink)
    assert not result.ok
    assert result.problems[0].checkpoint_line == 2
    expected = "not a checkpoint" if edit == "not-json" else "bad signature"
    assert expected in result.problem
    with pytest.raises(CommandError, match="First bad checkpoint: line 2"):
        call_command("verify_audit", "--checkpoints", str(sink.path))


def test_13_a_checkpoint_signed_with_a_guessed_key_id_is_reported(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    write_entries(actor, 2)
    forged = sign_checkpoint(position=2, entry_hash=hash_of(2), at=timezone.now(), key=GUESSED_KEY)
    sink.append(forged.to_json())
    result = verify_chain(checkpoints=sink)
    assert not result.ok
    assert "unknown key id" in result.problem


# (14) -------------------------------------------------------------------------------------
def test_14_truncated_then_re_appended_past_the_checkpoint_with_a_guessed_key(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    events = write_entries(actor, 6)
    write_checkpoint(sink=sink, now=timezone.now())
    with without_append_only_triggers():
        delete_from(4)
        prev = hash_of(3)
        for position in range(4, 9):
            forge_entry(
                position=position, prev=prev, sealer=guessed_key_with_its_own_id, like=events[0]
            )
            prev = hash_of(position)
        set_head(8, prev)
    _caught(verify_chain(), 4, "unknown key id")
    _caught(verify_chain(checkpoints=sink), 4, "unknown key id")


def test_14_truncated_then_re_appended_by_the_application_itself_needs_a_checkpoint(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    # The attacker rolls the trail back and lets the application write new, properly sealed
    # entries: the key cannot tell, the checkpoint can.
    write_entries(actor, 6)
    write_checkpoint(sink=sink, now=timezone.now())
    with without_append_only_triggers():
        delete_from(4)
        set_head(3, hash_of(3))
    write_entries(actor, 5)
    assert verify_chain().ok
    _caught(verify_chain(checkpoints=sink), 6, "differs from the checkpoint", "re-sealed")


def test_an_intact_trail_passes_every_check_and_says_which_ran(
    actor: AbstractBaseUser, sink: FileSink, tmp_path: Path
) -> None:
    write_entries(actor, 3)
    write_entries(actor, 1, clinic=None)
    write_checkpoint(sink=sink, now=timezone.now())
    write_entries(actor, 2)
    write_entries(actor, 2, clinic=CLINIC_B)
    write_checkpoint(sink=sink, now=timezone.now())
    out = _verify_command("--checkpoints", str(sink.path))
    assert "hash chains: 3; 8 entries, 8 keyed" in out
    assert "chain global: 1 entry, head consistent (#1), newest checkpoint #1" in out
    assert f"chain {CHAIN_A}: 5 entries, head consistent (#5), newest checkpoint #5" in out
    assert f"chain {CHAIN_B}: 2 entries, head consistent (#2), newest checkpoint #2" in out
    assert f"checkpoints: 5 read from {sink.path}, signatures valid" in out
    assert "3 chains covered" in out
    assert "8 entries in 3 chains, every chain intact" in out
    missing = tmp_path / "none-yet.jsonl"
    assert "none read from" in _verify_command("--checkpoints", str(missing))
