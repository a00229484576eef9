"""One sub-package per API: its profile (auth, errors, fixtures, lifecycles) and handlers."""
