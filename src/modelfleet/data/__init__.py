"""Data: read sources, map them onto the fleet's canonical schema, validate and fingerprint.

Entry point: :func:`modelfleet.data.ingest.load_fleet_data` returns a
:class:`modelfleet.data.canonical.FleetData`. Modules, in pipeline order: ``plan`` (which sources
feed which tenants), ``sources``/``sql`` (read), ``mapping``/``coerce`` (rename and convert),
``observations`` (select and stack rows), ``joins`` (static and covariates), ``frequency``,
``validation``, ``fingerprint``; ``demo`` writes the quickstart's data. Arrow tables travel
between modules; DuckDB (``engine``) does the work.
"""
