"""The mock Reservnummersystemet (RNS)."""
