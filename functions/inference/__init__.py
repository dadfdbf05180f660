"""POST /v1/chat/completions, /v1/responses, /v1/messages: metered inference over every provider, streamed."""
