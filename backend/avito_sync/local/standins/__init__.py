"""LOCAL ONLY: stand-ins for the outside services notifications reach (Telegram Bot API, a Web
Push service), like the sandbox is for Avito. Used by tests and `make dev`; never deployed."""
