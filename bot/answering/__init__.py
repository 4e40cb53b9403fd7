"""The one road from a decision to words: Answer (the contract), phrasing, and the views."""
