"""Making and revoking personal tokens: the secret is shown once and never stored, names are
required and unique per user, and both leave an audit entry without the secret."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from knox.crypto import hash_token

from accounts.models import PersonalToken
from accounts.services import organisation_scope, token_create, token_revoke
from audit.models import AuditEntry
from core.errors import ApplicationError


def make(user, organisation, name="ERP sync", **fields):
    return token_create(user=user, name=name, organisation=organisation, **fields)


def test_the_database_holds_a_digest_never_the_secret(alice, volta):
    created = make(alice, volta)
    assert created.secret.startswith("slm_") and len(created.secret) == 4 + 64
    token = PersonalToken.objects.get()
    assert token.digest == hash_token(created.secret)
    assert token.token_key == created.secret[:15]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {PersonalToken._meta.db_table}")
        rows = cursor.fetchall()
    assert not any(created.secret in str(value) for row in rows for value in row)


def test_each_token_gets_a_secret_of_its_own_and_the_chosen_lifetime(alice, volta):
    first = make(alice, volta, name="one")
    second = make(alice, volta, name="two", lifetime_days=7)
    assert first.secret != second.secret
    assert first.token.expiry == pytest.approx(
        timezone.now() + timedelta(days=90), abs=timedelta(seconds=30)
    )
    assert second.token.expiry == pytest.approx(
        timezone.now() + timedelta(days=7), abs=timedelta(seconds=30)
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Give the token a name"), ("   ", "Give the token a name"), ("x" * 65, "at most 64")],
)
def test_a_name_is_required_and_bounded(alice, volta, name, message):
    with pytest.raises(ApplicationError, match=message) as refused:
        make(alice, volta, name=name)
    assert refused.value.field == "name"
    assert not PersonalToken.objects.exists()


def test_a_name_is_unique_among_the_users_tokens_whatever_its_case(alice, rob, volta, recell):
    make(alice, volta, name="ERP sync")
    with pytest.raises(ApplicationError, match="already have a token named 'erp SYNC'") as refused:
        make(alice, volta, name="erp SYNC")
    assert refused.value.field == "name"
    make(rob, recell, name="ERP sync")  # another user's names are theirs
    assert PersonalToken.objects.count() == 2


def test_an_expired_tokens_name_is_free_again(alice, volta):
    old = make(alice, volta, name="rig").token
    PersonalToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    fresh = make(alice, volta, name="rig").token
    assert list(PersonalToken.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_a_token_acts_only_for_the_users_own_organisation(alice, recell):
    with pytest.raises(ApplicationError, match="not a member of ReCell") as refused:
        make(alice, recell)
    assert refused.value.field == "organisation"
    assert not PersonalToken.objects.exists()


def test_a_lifetime_outside_the_choices_is_refused(alice, volta):
    with pytest.raises(ApplicationError, match=r"7, 30, 90, 365 days \(3650 given\)"):
        make(alice, volta, lifetime_days=3650)


def test_making_and_revoking_are_audited_without_the_secret(alice, volta):
    created = make(alice, volta)
    assert token_revoke(user=alice, token=created.token) is True
    assert not PersonalToken.objects.exists()
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.action for e in entries] == ["token.create", "token.revoke"]
    assert {e.scope for e in entries} == {organisation_scope(volta.pk)}
    assert entries[0].after["name"] == "ERP sync" and entries[0].after["organisation"] == "volta"
    assert entries[1].before["name"] == "ERP sync"
    for entry in entries:
        text = f"{entry.before} {entry.after} {entry.reason}"
        assert created.secret not in text and created.token.digest not in text


def test_revoking_twice_records_once(alice, volta):
    token = make(alice, volta).token
    assert token_revoke(user=alice, token=token) is True
    assert token_revoke(user=alice, token=token) is False
    assert AuditEntry.objects.filter(action="token.revoke").count() == 1


def test_nobody_revokes_another_users_token(alice, rob, volta):
    token = make(alice, volta).token
    with pytest.raises(ApplicationError, match="only your own"):
        token_revoke(user=rob, token=token)
    assert PersonalToken.objects.filter(pk=token.pk).exists()
