"""How the world starts and signals workflows: the application services and their two front
doors, the HTTP API (`starter.api`) and the management CLI (`starter.cli`)."""
