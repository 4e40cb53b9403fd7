"""The Slack edge: listeners parse payloads, call the service, render with one renderer."""
