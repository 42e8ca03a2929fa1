"""The durable backlog: a queue of registrations worked through unattended, on a schedule.

``store`` (the queue and its SQLite implementation), ``importer`` (CSV/.xlsx files in),
``run`` + ``worker`` (worker processes, one browser each), ``report`` (HTML, CSV, XLSX out),
``lock`` (one run per queue), ``cli`` (``reservrobot backlog ...``, ``reservrobot audit ...``).
See docs/operations.md.
"""
