"""The Avito sandbox: an emulator of Avito's OAuth, token endpoint, account/items API and the
five short-term-rent operations, held to the official specs (``avito_sync.local.avito_spec``).

``app.create_app`` builds it, ``cli`` runs it standalone, ``server.SandboxServer`` runs it in a
background thread, and ``control.SandboxControl`` drives its ``/_sandbox`` control API.
"""
