"""Listing generation (locale data, rendering, marketplace rules, exporters)."""
