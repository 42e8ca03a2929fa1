"""``reservrobot audit export --fhir``: the audit log as a FHIR Bundle for log review.

Reads the log through its public reading only (``AuditLog.recent``, ``verify``,
``pseudonym``), so it does not depend on how the log is written. The Bundle (type
``collection``) holds an AuditEvent per entry and a Provenance per create and save
(``apps/fhir/audit.py``), for every entry or for one item's reference. It holds keyed hashes
and codes, no names and no identity numbers, like the log itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fhir.resources.R4B.bundle import Bundle

from apps.fhir.audit import audit_resources, chain
from apps.fhir.results import collection
from robot.audit import AuditLog


@dataclass(frozen=True)
class AuditExport:
    """The Bundle, how many entries it holds, and the first broken entry (None: intact)."""

    bundle: Bundle
    entries: int
    broken: int | None


def export_fhir(
    audit: AuditLog, *, ref: str | None = None, also: Sequence[str] = ()
) -> AuditExport:
    """Every entry (or those about ``ref``, given in clear, or the references in ``also`` the
    same case was known by) as AuditEvent and Provenance.

    The chain is computed over the whole log, so the hashes of one item's entries are those
    of the whole chain, and ``broken`` is ``audit verify``'s answer for the whole log.
    """
    chained = chain(audit.recent(limit=max(audit.count(), 1)))
    if ref is not None:
        wanted = {audit.pseudonym(r) for r in (ref, *also)}
        chained = [c for c in chained if c.entry.ref in wanted]
    return AuditExport(collection(audit_resources(chained)), len(chained), audit.verify())
