"""HL7 FHIR in and out: the routine's requests and outcomes as FHIR R4 resources.

- ``patient.py``: a request (and the Patient-ID it got) as a Patient conforming to HL7
  Sweden's ``SEBasePatient``, and a Patient back into the request's fields.
- ``results.py``: an outcome as a Patient (registered) or an OperationOutcome (a person must
  act, or it failed); a Bundle of type ``collection``.
- ``reading.py``: a FHIR file (a Patient, or a Bundle of Patients) read into entries, each
  with the request's fields or the reasons it is refused, naming FHIR paths.
- ``audit.py``: the audit log as AuditEvent (and Provenance for creates and saves).

The models are ``fhir.resources``' R4B package (FHIR 4.3.0): the library's default is R5,
and R4 itself has no pydantic-2 models there. R4B changed nothing in the resources used here
(Patient, OperationOutcome, Bundle, AuditEvent, Provenance), so what is written is valid R4
JSON, and what HL7 Sweden's base profiles (FHIR 4.0.1) describe is read as they describe it.
Every resource is built through the models, so a structural mistake fails here, not at the
receiver. Entry point concern: only ``apps`` use this package; the routine knows no FHIR.
"""
