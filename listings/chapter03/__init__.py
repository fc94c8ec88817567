"""Listings for Chapter 3, TCP."""
