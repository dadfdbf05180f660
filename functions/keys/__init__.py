"""/v1/keys: customers list, create and revoke their own API keys (manage scope)."""
