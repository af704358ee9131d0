"""Demand planning: forecasts of intermittent demand, supplier lead times, and the reorder, rebalancing and
stockout plans built on them (issue 24).

The modules below `service.py` are pure computations on plain data (no repository, no clock): `forecast`
(Croston, SBA, TSB), `lead_times` (measured from shipments, or documented defaults), `history` (orders -> daily
units), `inputs` (one organisation's data, gathered for planning) and `plans` (the rows the tools show).
`service.PlanningService` reads the repositories, caches per organisation and refreshes when the data changes.
"""
