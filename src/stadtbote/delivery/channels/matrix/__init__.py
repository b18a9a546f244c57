"""Matrix: one ``m.room.message`` per Stadtbote message in the town's room."""

from stadtbote.delivery.channels.matrix.transport import MatrixChannel, txn_id

__all__ = ["MatrixChannel", "txn_id"]
