"""Only for `make run` and the tests: the local stack around the service."""
