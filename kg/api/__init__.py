"""The HTTP API: a SPARQL 1.1 endpoint, linked-data pages, validation and Wikidata services."""
