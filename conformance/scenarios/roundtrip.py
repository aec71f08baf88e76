"""RT: what is saved comes back equal and with the same types; what cannot be kept is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings

from session_core.errors import InvalidValue, StoreError
from session_core.ids import new_session_id
from session_core.registry import StoreSpec
from session_core.store import SessionStore

from .._base import HYPOTHESIS_SETTINGS, OpenStore, ScenarioBase
from .._scenario import needs
from .._values import (
    AS_GIVEN,
    CORPUS,
    HUGE_MIB,
    UNPORTABLE,
    assert_same,
    difference,
    expected_form,
    huge_record,
    large_record,
    portable_records,
)


def save_through_mapping(spec: StoreSpec, session_id: str, record: dict[str, Any]) -> None:
    """Kedro's way: construct the store for the session, fill the mapping, save, close."""
    with spec.open(session_id) as store:
        store.update(record)
        store.save()


def read_back_problems(spec: StoreSpec, session_id: str, record: dict[str, Any], store: SessionStore) -> list[str]:
    """Differences between ``record`` and what a fresh mapping instance and the store-level
    instance ``store`` (opened before the save) read back."""
    expected = expected_form(record)
    problems = []
    with spec.open(session_id) as fresh:
        if found := difference(dict(fresh), expected):
            problems.append(f"new mapping for {session_id}: {found}")
        if found := difference(fresh.read(), expected):
            problems.append(f"read() of {session_id}: {found}")
    if found := difference(store.load(session_id), expected):
        problems.append(f"load({session_id!r}): {found}")
    return problems


def names_key_path(key_path: str, components: tuple[str, ...]) -> bool:
    """True when every component appears in ``key_path``, in order."""
    position = 0
    for component in components:
        found = key_path.find(component, position)
        if found < 0:
            return False
        position = found + len(component)
    return True


def refusal_problem(save: Callable[[], None], components: tuple[str, ...]) -> str | None:
    """Why ``save()`` did not refuse the value as it must, or ``None`` when it did."""
    try:
        save()
    except InvalidValue as exc:
        if not names_key_path(exc.key_path, components):
            return f"InvalidValue.key_path {exc.key_path!r} does not name {'.'.join(components)}"
        return None
    except Exception as exc:
        return f"raised {type(exc).__name__} instead of InvalidValue: {exc}"
    return "was saved instead of being refused with InvalidValue"


class RoundTripScenarios(ScenarioBase):
    @needs("persistent")
    def test_SC_RT_001_fixed_corpus_round_trips(self, store_spec: StoreSpec, open_store: OpenStore) -> None:
        store = open_store()
        problems = []
        for number, (name, record) in enumerate(CORPUS.items()):
            session_id = f"rt-corpus-{number}"
            save_through_mapping(store_spec, session_id, record)
            problems += [f"{name}: {problem}" for problem in read_back_problems(store_spec, session_id, record, store)]
        assert not problems, "\n".join(problems)

    @needs("persistent")
    @settings(HYPOTHESIS_SETTINGS, max_examples=25)
    @given(record=portable_records())
    def test_SC_RT_002_generated_values_round_trip(
        self, store_spec: StoreSpec, open_store: OpenStore, record: dict[str, Any]
    ) -> None:
        session_id = new_session_id()
        save_through_mapping(store_spec, session_id, record)
        problems = read_back_problems(store_spec, session_id, record, open_store())
        assert not problems, "\n".join(problems)

    @needs("persistent")
    def test_SC_RT_003_large_values_round_trip(self, store_spec: StoreSpec, open_store: OpenStore) -> None:
        record = large_record()
        store = open_store()
        save_through_mapping(store_spec, "rt-large", record)
        assert not (problems := read_back_problems(store_spec, "rt-large", record, store)), "\n".join(problems)

    @needs("persistent")
    def test_SC_RT_004_batch_writes_round_trip(self, open_store: OpenStore) -> None:
        records = {
            f"rt-batch-{number:04d}": {"n": number, "big": 2**65 + number, "zero": -0.0, "text": "é" * (number % 7), "t": (number,)}
            for number in range(250)
        }
        store = open_store()
        assert store.write_many(records.items(), batch_size=100) == len(records)
        fresh = open_store()
        for session_id, record in records.items():
            assert_same(fresh.load(session_id), expected_form(record), f"load({session_id!r})")

    def test_SC_RT_005_unportable_values_refused_on_save(self, open_store: OpenStore) -> None:
        kept = open_store("rt-unportable")
        kept.update({"kept": 1, "nested": {"list": [1.5]}})
        kept.save()
        before = open_store("rt-unportable").read()
        problems = []
        for number, (name, record, components) in enumerate(UNPORTABLE):
            existing = open_store("rt-unportable")
            existing.update(record)
            if problem := refusal_problem(existing.save, components):
                problems.append(f"{name}, existing session: {problem}")
            new_id = f"rt-unportable-new-{number}"
            new = open_store(new_id)
            new.update({"fine": True, **record})
            if problem := refusal_problem(new.save, components):
                problems.append(f"{name}, new session: {problem}")
            if open_store().has_session(new_id):
                problems.append(f"{name}: a record was written for {new_id} although save() failed")
        if found := difference(open_store("rt-unportable").read(), before):
            problems.append(f"the existing record changed after refused saves: {found}")
        assert not problems, "\n".join(problems)

    @pytest.mark.slow
    @needs("persistent")
    def test_SC_RT_006_huge_record_round_trips_or_is_refused_at_save(self, open_store: OpenStore) -> None:
        record = huge_record()
        store = open_store()
        store.write("rt-huge", {"before": True})
        try:
            store.write("rt-huge", record)
        except (InvalidValue, StoreError) as exc:
            kept = open_store().load("rt-huge")
            assert_same(kept, {"before": True}, f"the record after a refused save ({type(exc).__name__})")
            return
        found = open_store().load("rt-huge")
        problem = difference(found, record)
        assert problem is None, f"a {HUGE_MIB} MiB record was accepted but read back differently: {problem}"

    @needs("persistent")
    def test_SC_RT_007_record_comes_back_as_given(self, store_spec: StoreSpec, open_store: OpenStore) -> None:
        store = open_store()
        problems = []
        for number, (name, record) in enumerate(AS_GIVEN.items()):
            session_id = f"rt-as-given-{number}"
            save_through_mapping(store_spec, session_id, record)
            for how, found in (("load", open_store().load(session_id)), ("new mapping", dict(open_store(session_id)))):
                if (problem := difference(found, record)) is not None:
                    problems.append(f"{name}, {how}: {problem}")
                elif list(found) != list(record):
                    problems.append(f"{name}, {how}: key order {list(found)}, expected {list(record)}")
        if store.capabilities.listing:
            listed = [session_id for session_id in store.session_ids() if session_id.startswith("rt-as-given-")]
            expected = [f"rt-as-given-{number}" for number in range(len(AS_GIVEN))]
            if listed != expected:
                problems.append(f"listed {listed}, expected {expected} (a record's own session_id key is data)")
        assert not problems, "\n".join(problems)
