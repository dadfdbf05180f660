"""GET /v1/models: the model catalog with pricing, limits and capabilities."""
