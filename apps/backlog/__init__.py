"""The durable backlog: a queue of registrations worked through unattended, on a schedule.

``store`` (the queue: typed items, one transition table, SQLite or PostgreSQL), ``importer``
(CSV/.xlsx files in), ``run`` + ``worker`` (worker processes, one browser each), ``report``
(HTML, CSV, XLSX out), ``metrics`` (Prometheus text), ``lock`` (one run per queue and data
folder), ``cli`` + ``cli_machines`` (``reservrobot backlog ...``).
See docs/operations.md.
"""
