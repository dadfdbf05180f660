"""The balance watch job: low-balance alerts and auto top-up."""
