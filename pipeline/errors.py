"""Failures of the run itself (not of a bureau's data), mapped to exit codes in ``cli.py``."""


class BeianError(Exception):
    """The run could not complete; the message is Chinese and says what to do."""

    exit_code = 2


class ConfigError(BeianError):
    """The config file or an option is invalid."""

    exit_code = 2


class OutputError(BeianError):
    """An output could not be written (outbox not writable, disk full)."""

    exit_code = 3


class LockedError(BeianError):
    """Another run holds the lock on this inbox."""

    exit_code = 75
