"""Writes of the subsidies app: policy, generation, approvals."""
