"""Screens of the tunedeck app."""
