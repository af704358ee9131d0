"""The application layer: what the API routes, the Gradio handlers and the CLI all call.

One role policy (`policy`), uploads and their ingestion (`uploads`), credit views and grants (`credits`) and
search (`search`). Each function takes the caller's `Principal` and the services it needs (`ports`), checks the
role itself and raises domain errors; the callers only translate those into HTTP statuses or UI messages.
"""
