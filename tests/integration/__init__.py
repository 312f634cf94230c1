"""Integration tests: the Flask app through its real HTML forms, real SQLite, PostgreSQL and SMTP."""
