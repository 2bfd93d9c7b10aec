"""Talking to the Zoho CRM API: OAuth, the gate every call passes (concurrency, 429s, retries), the credit ledger,
dlt's RESTClient with Zoho's paginator and error envelope, and what a run learns Zoho refuses."""
