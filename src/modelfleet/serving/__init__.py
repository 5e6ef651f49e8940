"""The prediction server: every tenant's model of one environment behind one endpoint."""
