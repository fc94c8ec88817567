"""Listings for Chapter 2, UDP."""
