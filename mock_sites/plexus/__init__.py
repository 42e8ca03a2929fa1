"""The mock intranet portal Plexus."""
