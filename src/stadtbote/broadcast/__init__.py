"""Broadcasting: one post per message to the town's own accounts (Mastodon, Telegram, Matrix,
Apprise). The channels live in ``delivery/channels``; this app owns accounts and posts."""
