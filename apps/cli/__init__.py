"""The ``reservrobot`` command line."""
