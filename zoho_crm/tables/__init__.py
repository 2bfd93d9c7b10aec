"""The source's dlt resources, table by table: a module's records and deletions, stage-history modules, settings
tables."""
