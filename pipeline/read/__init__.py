"""Reading: a file as received → its raw cells at their Excel addresses, under guard.

Knows a file by its content (:mod:`.filetype`), refuses hostile ones (:mod:`.guards`), reads each in
a capped worker process (:mod:`.sandbox`), finds the header and the data rows however a bureau laid
them out (:mod:`.header`, :mod:`.layout`, :mod:`.sheets`) and hands forward one
:class:`~pipeline.core.model.SheetTable` per filled sheet (:mod:`.workbook`).
"""
