"""The bottom layer: records, settings, the form definition, problems and shared text mechanisms.

Every stage builds on these and none of them imports a stage: the records a stage hands forward
(:class:`~pipeline.core.model.SheetTable`, :class:`~pipeline.core.model.FileOutcome`, …) live
here so reading the ledger or a report never loads the readers.
"""
