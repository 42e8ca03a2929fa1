"""The FHIR addresses and codes the robot writes and reads, each with its source.

HL7 Sweden's base profiles (``HL7Sweden/basprofiler-r4``, package ``hl7se.fhir.base`` 1.1.0,
``published/base/``): the profile ``SEBasePatient``, its identifier systems (the aliases in
``input/fsh/aliases.fsh``; note the published spelling ``nationelltReservnummer``, where an
early FSH draft had ``nationelltReservnumer``), the security labels of ``SecurityLabelCS``
and the address-type extension ``SEBaseAddressPersonExtension`` with its SNOMED CT codes.

What the published profiles have no element for (the patient group, PMO's Info text, a case
reference, the robot's outcome and audit codes) is written under this project's own base
address ``PROJECT``: a placeholder domain (``.example`` is reserved, RFC 2606) until a region
publishes the definitions under an address of its own.
"""

from __future__ import annotations

SE_BASE = "http://hl7.se/fhir/ig/base"
SE_BASE_PATIENT = f"{SE_BASE}/StructureDefinition/SEBasePatient"
SE_ADDRESS_TYPE = f"{SE_BASE}/StructureDefinition/SEBaseAddressPersonExtension"
SE_SECURITY_LABEL = f"{SE_BASE}/CodeSystem/SecurityLabel"

PERSONNUMMER = "http://electronichealth.se/identifier/personnummer"
SAMORDNINGSNUMMER = "http://electronichealth.se/identifier/samordningsnummer"
NATIONELLT_RESERVNUMMER = "http://electronichealth.se/identifier/nationelltReservnummer"

# The label a protected identity gets. The request only says "skyddade personuppgifter";
# sekretessmarkering (22 kap. 1 § OSL) is the label every such person has in common, while
# skyddad folkbokföring is a further measure the robot cannot know of.
PROTECTED_LABEL = ("sekretessmarkering", "Sekretessmarkering")
PROTECTED_CODES = frozenset({"sekretessmarkering", "skyddadFolkbokforing"})

# SEBaseAddressPersonVS (SNOMED CT, Swedish extension): the kind of address PMO gets.
SNOMED = "http://snomed.info/sct"
SNOMED_SE = "http://snomed.info/sct/45991000052106"
ADDRESS_GIVEN = ("63411000052104", "uppgiven adress")  # a Swedish residence address
ADDRESS_ABROAD = ("63401000052101", "utlandsadress")  # the address in the country of residence

PROJECT = "https://reservnummer-robot.example/fhir"
GROUP_EXTENSION = f"{PROJECT}/StructureDefinition/patient-group"
INFO_EXTENSION = f"{PROJECT}/StructureDefinition/pmo-info"
CASE_REFERENCE = f"{PROJECT}/NamingSystem/case-reference"
OUTCOME_KIND = f"{PROJECT}/CodeSystem/outcome-kind"
REASON = f"{PROJECT}/CodeSystem/reason"
AUDIT_STEP = f"{PROJECT}/CodeSystem/audit-step"
AUDIT_ACTOR = f"{PROJECT}/NamingSystem/actor"
AUDIT_REF = f"{PROJECT}/NamingSystem/reference-hash"
AUDIT_SUBJECT = f"{PROJECT}/NamingSystem/patient-id-hash"
AUDIT_CHAIN = f"{PROJECT}/CodeSystem/audit-chain"
