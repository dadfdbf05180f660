"""GET /v1/usage and /v1/generations/{id}: usage totals (exact and current) and per-request records."""
