"""``backlog report --fhir DIR``: one FHIR Bundle (type ``collection``) per run.

Each Bundle (``korning-<run>.json``) holds one resource per item the run touched, in the
run's order, with the id ``item-<item number>``, and says of each item what ``resultat.csv``
says of it (the item as it stands now): a done item is its registered Patient (the
Patient-ID in ``resultat.csv``), any other item an OperationOutcome with the item's state and
the Swedish reason of ``resultat.csv``'s ``orsak``. A protected identity's Patient carries the
security label and nothing beyond what the routine registers (``apps/fhir/patient.py``).
The files are personal data like ``resultat.csv``, and are written private (0600).
"""

from __future__ import annotations

from pathlib import Path

from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient

from apps.backlog.report import _result_reason as result_reason  # resultat.csv's own words
from apps.backlog.store import ItemStatus, QueueItem, QueueReader, RunRecord
from apps.fhir import terms
from apps.fhir.patient import patient_resource
from apps.fhir.results import collection, operation_outcome, to_json
from flows.rules.region import RegionProfile
from flows.rules.vocabulary import OUTCOME_KIND_SV
from robot.files import private_dir, write_private

RUN_SYSTEM = f"{terms.PROJECT}/NamingSystem/backlog-run"


def item_resource(item: QueueItem, profile: RegionProfile) -> Patient | OperationOutcome:
    """The item as FHIR: its Patient when done, else an OperationOutcome with its reason."""
    rid = f"item-{item.id}"
    outcome = item.outcome
    if item.status is ItemStatus.DONE and outcome is not None and outcome.ok:
        return patient_resource(
            item.request,
            patient_id=item.patient_id or outcome.patient_id,
            profile=profile,
            resource_id=rid,
        )
    if item.status is ItemStatus.PENDING and outcome is None:
        kind = "pending"
    else:
        kind = item.kind or str(item.status)
    return operation_outcome(
        kind,
        reason_code=item.reason_code,
        text=result_reason(item) or OUTCOME_KIND_SV.get(kind) or item.status.label_sv,
        display=None if kind in OUTCOME_KIND_SV else item.status.label_sv,
        patient_id=item.patient_id,
        reservnummer=outcome.reservnummer if outcome is not None else None,
        resource_id=rid,
    )


def write_fhir_bundles(
    store: QueueReader, out: Path, runs: list[RunRecord], profile: RegionProfile
) -> list[Path]:
    """Write ``korning-<run>.json`` into ``out`` for each run; the paths written."""
    private_dir(out)
    paths = []
    for run in runs:
        resources = []
        for entry in store.run_items(run.id):
            item = store.get(entry.item_id)
            if item is not None:
                resources.append(item_resource(item, profile))
        bundle = collection(
            resources,
            identifier=(RUN_SYSTEM, str(run.id)),
            timestamp=run.finished_at or run.started_at,
        )
        paths.append(write_private(out / f"korning-{run.id}.json", to_json(bundle)))
    return paths
