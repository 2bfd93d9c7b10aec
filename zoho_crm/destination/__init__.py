"""Where a pipeline loads: destination, dataset and table format (`resolve`), DuckDB held open while loading
(`duckdb`), Delta tables that apply deletions (`lakehouse`)."""
