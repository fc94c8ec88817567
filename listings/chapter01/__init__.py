"""Listings for Chapter 1, client-server networking."""
