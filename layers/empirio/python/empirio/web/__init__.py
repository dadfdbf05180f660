"""FastAPI glue: the app factory, authentication dependencies and error rendering per wire format."""
