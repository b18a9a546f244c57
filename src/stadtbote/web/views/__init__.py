"""Thin views of the citizen app; the domain modules do the work."""
