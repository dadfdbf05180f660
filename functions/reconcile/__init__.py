"""The reconciliation job: per account, usage costs = ledger charges and balance = top-ups - charges - held."""
