"""/v1/chats: saved playground chats (manage key or console session), at most max_chats per account."""
