"""The billing family: Checkout top-ups, the Stripe webhook, purchases, the billing ledger and settings."""
