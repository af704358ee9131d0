"""The shell: settings -> services (the composition root) -> the FastAPI app with the UI at /ui -> the CLI.

The only package that knows every part; nothing below it imports it (tests/test_layers.py).
"""
