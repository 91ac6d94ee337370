"""Process plumbing that the worker and the API share."""
