"""Task forms, one module per démarche."""
