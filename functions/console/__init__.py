"""/console: the web console (server-rendered pages over the same services as the public JSON API)."""
