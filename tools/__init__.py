"""The book's own tools: regenerating and checking what the chapters show."""
