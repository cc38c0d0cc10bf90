"""The emulator fixtures live in tests/emulator_support.py (registered in tests/conftest.py, so
browser tests share the same emulator process); the names below are kept importable from here."""

from tests.emulator_support import (
    BETA,
    DEMO_CLIENT,
    DEMO_REDIRECT,
    PUBLIC,
    Contract,
    ContractViolation,
    Emulator,
    EmulatorProcess,
)

__all__ = [
    "BETA",
    "PUBLIC",
    "DEMO_CLIENT",
    "DEMO_REDIRECT",
    "Contract",
    "ContractViolation",
    "Emulator",
    "EmulatorProcess",
]
