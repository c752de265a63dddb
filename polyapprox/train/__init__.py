"""Training harnesses (torch): FFN-block sweeps and language-model runs."""
