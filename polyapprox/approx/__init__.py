"""Measuring approximation: sup/L2 errors of nets against targets, exact 1-D pieces, rate fits, sweeps."""
