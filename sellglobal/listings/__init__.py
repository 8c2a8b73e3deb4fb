"""Listings: native-language listings and short-video scripts for the shortlist, checked against marketplace rules."""
