"""Every output: the consolidated workbook (:mod:`.workbook`), the bureaus' 回执 (:mod:`.feedback`,
:mod:`.marked`), the CSVs (:mod:`.csvfiles`), the blank template (:mod:`.template`), the counts
and tables they share (:mod:`.report`, :mod:`.problem_list`, :mod:`.packet_report`), and
:mod:`.publish`, which renames a night's outputs into place together."""
