"""The advice core: question -> profile -> eligibility -> ranked advice. Pure: no I/O, no Slack, no LLM."""
