"""Asset definitions, one package per domain."""
