"""How the world reaches the workflows: HTTP API, management CLI, local dev stack."""
