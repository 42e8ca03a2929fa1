"""The entry points: the command line, the backlog queue, the attended app and the audit log.

They sit above the routine (``flows``) and the runtime (``robot``), turn errors into exit codes
and statuses, and use the routine's own types directly.
"""
