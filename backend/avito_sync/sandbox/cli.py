"""`avito-sync sandbox`: the Avito emulator (filled in by the sandbox work)."""


def sandbox_command(port: int = 8790) -> None:
    """Run the Avito sandbox."""
    raise SystemExit(f"sandbox not built yet (port {port})")
