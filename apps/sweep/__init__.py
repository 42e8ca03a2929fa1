"""``reservrobot sweep``: the read-only sweep for duplicates and orphans (dates, report,
metrics, command line). The reading is ``flows.sweep``, the judging ``flows.rules.sweep``."""
