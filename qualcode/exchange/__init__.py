"""Tables and projects in and out: codings tables now; REFI-QDA and statistics formats next."""
