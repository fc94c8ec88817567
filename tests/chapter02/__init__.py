"""Chapter 2, UDP: its listings' behaviour, values checked."""
