"""Use cases that talk to ports: voting, scoring, results."""
