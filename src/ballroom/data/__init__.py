"""Data files shipped with ballroom (read through ``importlib.resources``)."""
