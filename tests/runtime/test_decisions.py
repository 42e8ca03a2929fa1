"""The decision store (``flows.decisions``) on both backends: SQLite and a real PostgreSQL."""

from __future__ import annotations

from flows.decisions import DecisionStore
from flows.rules.groups import load_groups
from flows.rules.outcome import Decision
from flows.rules.request import RegistrationRequest, parse_request
from robot.db import open_database
from robot.logs import Pseudonymizer
from robot.settings import DEFAULT_CONFIG_DIR, Settings

NUMBER = "19911205001M8"


def _request(given: str) -> RegistrationRequest:
    return parse_request(
        {
            "birth_date": "1991-12-05",
            "sex": "K",
            "family_name": "Ahmadi",
            "given_names": given,
            "group": "asylsokande",
            "street": "Norra Kungsgatan 5",
            "postal_code": "803 20",
            "city": "Gävle",
            "country": "SE",
        },
        groups=load_groups(DEFAULT_CONFIG_DIR),
    )


def _decision(verdict: str, system: str = "pmo") -> Decision:
    return Decision.model_validate(
        {"system": system, "id_value": NUMBER, "verdict": verdict, "decided_by": "test"}
    )


def test_decisions_are_kept_per_person_and_number_and_the_latest_change_wins(
    settings: Settings,
) -> None:
    woman, other = _request("Sara"), _request("Amina")
    with open_database(settings, "coordination") as db:
        store = DecisionStore(db, Pseudonymizer(settings.pseudonym_key))
        store.record(woman, [_decision("same")])
        store.record(woman, [_decision("different", system="rns")])
        store.record(woman, [_decision("different")])  # the same verdict again: no change

        assert store.verdicts(woman).get(NUMBER.lower()) == "different"
        assert store.verdicts(other).get(NUMBER) is None  # a decision is about one person

    # Durable: another process (a new connection, a second migration) reads it back.
    with open_database(settings, "coordination") as db:
        again = DecisionStore(db, Pseudonymizer(settings.pseudonym_key))
        assert again.verdicts(woman).get(NUMBER) == "different"
        with db.read() as tx:
            rows = tx.all("SELECT * FROM coordination_decisions")
    # Only keyed hashes: neither the number nor the person's data is stored in clear.
    assert len(rows) == 1
    assert NUMBER not in repr(rows) and "Sara" not in repr(rows)
