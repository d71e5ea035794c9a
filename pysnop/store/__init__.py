"""pysnop's SQLite file beside the workbook: the decision log and the forecast history.

One file, ``plan.xlsx`` → ``plan.pysnop.sqlite`` (:mod:`~pysnop.store.paths`), one
connection routine with the schema and its version (:mod:`~pysnop.store.connection`), and
the two kinds of records kept in it (:mod:`~pysnop.store.decision_log`,
:mod:`~pysnop.store.history`). Every table is append-only.
"""
