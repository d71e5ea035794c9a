"""Pure domain logic: DataFrames and arrays in, DataFrames out. No workbook libraries here."""
