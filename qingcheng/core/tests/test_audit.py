import itertools

import pytest
from django.core.management import CommandError, call_command

from qingcheng.core.audit import audit_record, audit_seal, audit_verify
from qingcheng.core.models import AuditChainHead, AuditEntry


def _write(n: int) -> list[AuditEntry]:
    written = [
        audit_record(
            actor=None,
            action="test.write",
            object_type="thing",
            object_id=str(i),
            area_code="150105",
            before={"v": i},
            after={"v": i + 1},
        )
        for i in range(n)
    ]
    audit_seal()
    return list(AuditEntry.objects.filter(pk__in=[e.pk for e in written]).order_by("seq"))


@pytest.mark.django_db
def test_chain_links_each_entry_to_the_previous():
    entries = _write(5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    for previous, entry in itertools.pairwise(entries):
        assert entry.prev_hash == previous.entry_hash
    result = audit_verify()
    assert result.ok and result.checked == 5
    head = AuditChainHead.objects.get(pk=1)
    assert head.last_seq == 5 and head.last_hash == entries[-1].entry_hash


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field,value",
    [
        ("action", "test.forged"),
        ("changes", '{"after":{"v":999},"before":{"v":2},"note":""}'),
        ("actor_label", "x"),
        ("area_code", "150102"),
    ],
)
def test_editing_one_row_breaks_the_chain_at_that_row(field, value):
    _write(6)
    AuditEntry.objects.filter(seq=3).update(**{field: value})
    result = audit_verify()
    assert not result.ok
    assert result.broken.seq == 3
    assert result.checked == 2
    with pytest.raises(CommandError, match="#3"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_rehashing_an_edited_row_still_breaks_the_next_link():
    from qingcheng.core.audit import entry_digest

    _write(4)
    entry = AuditEntry.objects.get(seq=2)
    entry.action = "test.forged"
    entry.entry_hash = entry_digest(entry)
    entry.save()
    assert audit_verify().broken.seq == 3


@pytest.mark.django_db
def test_deleting_rows_is_detected():
    _write(5)
    AuditEntry.objects.filter(seq=2).delete()
    assert audit_verify().broken.seq == 2
    AuditEntry.objects.filter(seq__gte=2).delete()
    assert audit_verify().broken.reason == "entries after this point were removed"


@pytest.mark.django_db
def test_verify_audit_command_succeeds_on_an_intact_chain(capsys):
    _write(3)
    call_command("verify_audit")
    assert "3 entries verified" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_rolled_back_action_leaves_no_entry():
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action="test.rolled_back", object_type="thing")
        raise RuntimeError
    assert not AuditEntry.objects.filter(action="test.rolled_back").exists()
    assert audit_verify().ok


@pytest.mark.django_db
def test_appending_takes_no_lock_and_sealing_chains_in_write_order():
    first = audit_record(actor=None, action="test.a", object_type="thing")
    second = audit_record(actor=None, action="test.b", object_type="thing")
    assert first.seq is None and second.seq is None  # pending until sealed
    assert audit_seal() == 2
    assert audit_seal() == 0
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.seq, second.seq) == (1, 2) and second.prev_hash == first.entry_hash
    third = audit_record(actor=None, action="test.c", object_type="thing")
    result = audit_verify()  # seals what is pending first
    third.refresh_from_db()
    assert result.ok and result.checked == 3 and third.seq == 3


@pytest.mark.django_db
def test_the_jobs_loop_seals_the_log():
    from qingcheng.core.jobs import audit_seal_sweep

    audit_record(actor=None, action="test.job", object_type="thing")
    assert audit_seal_sweep() == 1
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
