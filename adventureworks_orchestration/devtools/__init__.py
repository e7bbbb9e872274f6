"""Tools for development and tests: a local S3 server."""
