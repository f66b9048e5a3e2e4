"""The `tuoyu` command's subcommands, one module per capability, each with `register(commands)`."""
