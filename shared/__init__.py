"""The backbone every service shares: envelope, catalogue, store, relay, consumer, calendar."""
