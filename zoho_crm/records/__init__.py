"""One record shape for both readers: field metadata, column hints, nulls dropped, Bulk Read CSV rows converted to
the REST API's record shape."""
