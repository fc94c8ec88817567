"""The book's listings: one package per chapter, one module per listing."""
