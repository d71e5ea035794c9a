"""Reading and writing workbooks (files through calamine/openpyxl, live Excel through xlwings)."""
