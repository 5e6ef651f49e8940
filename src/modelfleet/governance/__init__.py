"""Governance: who may do what to which fleet or tenant (identities, tokens, roles, scopes)."""
