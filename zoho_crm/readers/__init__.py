"""The generators behind the source's resources: which reader lists a module (REST or Bulk Read), records by ids,
deletions, users, settings calls, and how they run in dlt's extract pool."""
