"""Local, real services that stand in for the internet, so every listing in
the book runs offline and every test is hermetic.

Start them with ``python -m playground``; see :mod:`playground.__main__`.
"""
