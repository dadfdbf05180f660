"""The use cases: each composes the pure domain with the stores it is handed (context.py builds them)."""
