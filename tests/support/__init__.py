"""Helpers shared by the test suites (CRD schemas, tools, fake API server)."""
