"""What Pathfinder keeps about a person: saved profile, conversation turns, answer records, feedback,
and the claims and threads that make Slack replies exactly-once. Every function takes its engine or
session explicitly; every table keyed to a person is listed in bot/memory/personal.py."""
