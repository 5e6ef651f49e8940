"""The autopilot: retrain, promote, roll out and roll back a fleet's tenants within its policy."""
