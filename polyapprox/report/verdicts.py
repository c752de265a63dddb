"""The words a claims-table row may end with (one place, shared by ``claims`` and ``trained_claims``)."""

HOLDS, FAILS, INCONCLUSIVE, WITHIN_NOISE = "holds", "does not hold", "inconclusive", "within noise"
#: the step that measures the row was skipped (``--steps``)
NOT_RUN = "not run"
#: the step ran, but the preset is too small for the row to say anything
NOT_CHECKED = "not checked at this size"
