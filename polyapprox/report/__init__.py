"""``polyapprox reproduce``: the experiment steps, the claims table, Markdown/HTML rendering and figures."""
