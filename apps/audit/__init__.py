"""The append-only, pseudonymised audit log of what the robot and people did."""
