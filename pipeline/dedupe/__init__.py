"""Duplicates: name keys and blocking (:mod:`.match`), the clerk's keep/drop decisions
(:mod:`.decisions`), and one disposition per data row (:mod:`.dispose`)."""
