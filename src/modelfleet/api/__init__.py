"""The REST control plane: a FastAPI app over the metadata store, the run tracker and the registry.

:func:`modelfleet.api.app.create_app` builds the app from :class:`~modelfleet.config.Settings`
(built at the edge, never read from the environment here) and the fleet specs whose promotion
policies it applies. Routes translate requests into calls on the tracker and the registry and
carry no business rules of their own. :mod:`.schemas` holds the JSON shapes, which the
:class:`~modelfleet.remote.RemoteClient` reads back into the same records the Python API returns.

Importing this package imports nothing heavy: FastAPI loads with :mod:`.app`.
"""
