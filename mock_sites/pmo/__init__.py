"""The mock patient record system PMO."""
