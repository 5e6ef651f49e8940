"""Route modules of the control plane, one per resource group."""
