"""The `empirio` command: the local dev server and the operator's admin client."""
