"""/v1/account: the caller's account (balance, limits, settings) and its settings (time zone)."""
