"""Linked-data and human-facing pages: what the graph says about a resource, as HTML or RDF.

`kg.api.pages` translates HTTP into calls to these modules; nothing here imports FastAPI.
"""
