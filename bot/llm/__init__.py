"""The LLM seam: a tiny ChatModel protocol; `openai_model` is the only module importing openai."""
