"""Unattended operation: systemd notify and watchdog, start-up checks (doctor), logging set-up.

Imports only ``edge.domain``, the standard library and third-party clients: the CLI and the app wire these
parts to the daemon with plain values and callables.
"""
