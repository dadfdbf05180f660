"""Client wire formats ⇄ canonical (pure): OpenAI Chat Completions, OpenAI Responses, Anthropic Messages."""
