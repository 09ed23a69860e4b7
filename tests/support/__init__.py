"""Helpers shared by test folders: local servers and ports, bounded waits, child processes,
and the app's rows (import from the submodules)."""
