"""The QA endpoints (records, reset, faults, clock), loopback only; data survives a restart."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import httpx

from mock_sites.pmo.app import create_app as create_pmo
from mock_sites.pmo.config import PmoConfig
from mock_sites.testing import MockSites, run_mock_sites
from tests.mock_sites.helpers import demo_client

PMO_KEYS = {
    "patient_id",
    "sex",
    "family_name",
    "given_names",
    "street",
    "postal_code",
    "city",
    "country",
    "kommun",
    "lan",
    "info",
    "created_at",
    "updated_at",
    "created_by",
    "changed_by",
}
RNS_KEYS = {
    "birth_date",
    "sex",
    "family_name",
    "given_names",
    "personnummer",
    "id_type",
    "id_value",
    "created_at",
    "created_by",
    "changed_by",
}


def test_records_should_return_every_record_with_the_documented_fields(
    fresh_mock_sites: MockSites,
) -> None:
    patients = fresh_mock_sites.records("pmo")["patients"]
    persons = fresh_mock_sites.records("rns")["persons"]
    favourites = fresh_mock_sites.records("plexus")["favourites"]
    assert len(patients) == 300
    assert 300 <= len(persons) <= 310
    assert all(set(p) == PMO_KEYS for p in patients)
    assert all(set(p) == RNS_KEYS for p in persons)
    assert {p["sex"] for p in patients} == {"M", "K"}
    assert {p["id_type"] for p in persons} == {"Reservnummer", "Personnummer", "Samordningsnummer"}
    assert {f["system_key"] for f in favourites} == {"pmo", "tid"}
    assert {"username", "system_key", "system_name", "url", "added_at"} <= set(favourites[0])


def test_reset_should_restore_the_seed_after_changes(fresh_mock_sites: MockSites) -> None:
    seed = fresh_mock_sites.records("rns")
    with demo_client(fresh_mock_sites, "rns") as client:
        response = client.post(
            "/skapa",
            data={
                "fodelsedatum": "20000229",
                "sex": "K",
                "family_name": "Ny",
                "given_names": "Eva",
            },
        )
    assert response.status_code == 303
    assert len(fresh_mock_sites.records("rns")["persons"]) == len(seed["persons"]) + 1
    fresh_mock_sites.reset("rns")
    assert fresh_mock_sites.records("rns") == seed


def test_clock_should_refuse_bad_values(mock_sites: MockSites) -> None:
    with httpx.Client(trust_env=False) as client:
        response = client.post(mock_sites.pmo_url + "/_mock/clock", json={"advance_s": -5})
    assert response.status_code == 400


async def _get_as(app: object, client_host: str, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(client_host, 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://pmo.test") as client:
        return await client.get(path)


def _status_as(app: object, client_host: str, path: str) -> int:
    # A thread of its own: Playwright's sync API keeps an event loop in the main thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, _get_as, app, client_host, path).result().status_code


def test_qa_endpoints_should_answer_loopback_clients_only(tmp_path: Path) -> None:
    # In-process ASGI calls with a made-up client address: no traffic leaves this machine.
    app = create_pmo(db_path=tmp_path / "pmo.sqlite3", config=PmoConfig(seed_size=20))
    for path in ("/_mock/records", "/_mock/faults"):
        assert _status_as(app, "10.1.2.3", path) == 404
        assert _status_as(app, "127.0.0.1", path) == 200
        assert _status_as(app, "::1", path) == 200


def test_data_should_survive_a_restart(tmp_path: Path) -> None:
    with run_mock_sites(tmp_path, seed_size=20) as sites:
        with demo_client(sites, "pmo") as client:
            response = client.post(
                "/registrera",
                data={
                    "patient_id": "19612121-01M7",
                    "sex": "M",
                    "family_name": "Kvar",
                    "given_names": "Per",
                },
            )
            assert response.status_code == 303
        first = sites.records("pmo")
    with run_mock_sites(tmp_path, seed_size=20) as sites:
        assert sites.records("pmo") == first
        assert "19612121-01M7" in {p["patient_id"] for p in first["patients"]}
    assert (tmp_path / "pmo.sqlite3").exists()


def test_anomalies_should_be_planted_on_their_dates_and_gone_after_reset(
    fresh_mock_sites: MockSites,
) -> None:
    sites = fresh_mock_sites
    manifest = sites.plant_anomalies("1931-03-02")

    days = [c["birth_date"] for c in manifest["cases"]]
    assert days == [f"1931-03-0{d}" for d in range(2, 8)]
    patients = [p for p in sites.records("pmo")["patients"] if p["patient_id"][:4] == "1931"]
    persons = [p for p in sites.records("rns")["persons"] if p["birth_date"].startswith("1931")]
    assert len(patients) == 11 and len(persons) == 12
    # The PMO patient of the mistyped case holds a number RNS never handed out.
    [mistyped] = [c for c in manifest["cases"] if c["case"] == "mistyped_number"]
    typo, meant = mistyped["expect"][0]["numbers"]
    held = {p["patient_id"] for p in patients}
    known = {p["id_value"] for p in persons}
    assert {typo, meant} & held and {typo, meant} - held
    assert (held & {typo, meant}).isdisjoint(known)
    sites.reset()
    assert not [p for p in sites.records("pmo")["patients"] if p["patient_id"][:4] == "1931"]


def test_anomalies_can_be_part_of_the_seed_data(tmp_path: Path) -> None:
    with run_mock_sites(tmp_path, anomalies_from="1931-03-02") as sites:
        sites.reset()
        persons = sites.records("rns")["persons"]
        assert sum(p["birth_date"].startswith("1931") for p in persons) == 12
        with httpx.Client(trust_env=False) as client:
            bad = client.post(sites.pmo_url + "/_mock/anomalies", json={"first_date": "mars"})
        assert bad.status_code == 400
