"""Every side effect of a signup: database, SMTP, ledger, numbers, PBX configuration."""
