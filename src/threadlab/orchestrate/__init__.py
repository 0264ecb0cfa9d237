"""The orchestrator: plans points, runs each in a fresh worker, stores results."""
