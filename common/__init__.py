"""Ronghe shared kernel: bus contract, outbox/inbox, storage, config, metrics, PII."""
