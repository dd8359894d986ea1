"""The space's own packet: Annex 1 forms (:mod:`.annex1`, :mod:`.convert` for old Word files),
Annex 2 documents (:mod:`.annex2`), matched to their Annex 3 rows and checked against them
(:mod:`.assemble`, :mod:`.checks`)."""
