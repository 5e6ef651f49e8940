"""The REST control plane: a FastAPI app over the platform's verbs.

:func:`modelfleet.api.app.create_app` builds the app from :class:`~modelfleet.config.Settings`
(built at the edge, never read from the environment here) and the fleet specs whose promotion
policies it applies. Each route derives the request's caller, takes the local plane as that
caller and calls one of its verbs, so routes carry no business rules of their own; the JSON
shapes live in :mod:`modelfleet.wire`, which the HTTP plane reads back into the same records.

Importing this package imports nothing heavy: FastAPI loads with :mod:`.app`.
"""
