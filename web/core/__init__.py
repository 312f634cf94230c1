"""Cross-area pieces: database session helpers, mail, scheduler, errors, security headers."""
