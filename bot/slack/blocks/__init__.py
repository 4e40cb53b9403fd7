"""Block Kit views: every message, modal and Home tab Pathfinder posts, checked against Slack's limits."""
