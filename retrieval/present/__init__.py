"""Answers → console text and JSON (the bot renders Telegram HTML itself)."""
