"""Benchmarks: gateway overhead, streaming, CPU, DynamoDB calls, cold start and cost (`make bench`)."""
