"""What the platform's services share: contracts, programme constants, database and outbox helpers."""
