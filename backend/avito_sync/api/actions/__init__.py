"""Handlers of `POST /functions/v1/avito-sync`, grouped by step of the connect flow."""
