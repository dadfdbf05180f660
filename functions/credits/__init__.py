"""GET /v1/credits: the account's balance and held amount."""
