"""Named exact checks: the registry behind ``polyapprox verify`` (``registry``) and the check modules it loads."""
