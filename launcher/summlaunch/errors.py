"""Errors a user can cause. Each ends the CLI with one line and exit code 2."""


class SummlaunchError(Exception):
    """A failure the user can fix: the message says what, where, and how to fix it."""

    exit_code = 2


class ClusterError(SummlaunchError):
    """The cluster could not be reached, or refused a request."""


class EngineError(SummlaunchError):
    """The Docker engine could not be reached, or a build or run failed."""
