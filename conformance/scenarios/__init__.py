"""One module per scenario category; :class:`conformance.StoreConformance` combines them."""
