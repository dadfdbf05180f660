"""GET /v1/limits: the account's limits and current usage of them."""
