from stadtbote.delivery.channels.email.transport import EmailChannel

__all__ = ["EmailChannel"]
