"""Family notifications routed by the preferred contact channel (courriel or SMS), with fallback."""
