"""WTForms classes and the form registry (formKey -> form). Knows nothing of the engine or web."""
