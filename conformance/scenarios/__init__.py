"""One module per scenario category; :class:`session_core.conformance.StoreConformance` combines them."""
