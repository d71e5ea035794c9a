"""pysnop: the Marketing-to-Inventory Bridge for retail S&OP, inside the planner's workbook."""

__version__ = "0.1.0"
