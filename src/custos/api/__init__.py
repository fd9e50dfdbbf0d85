"""The HTTP API: signed requests from the requesting agency's systems (``custos serve``)."""
