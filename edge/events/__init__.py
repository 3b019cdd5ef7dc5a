"""Events: plate lists, matching, access decision, event building and the durable outbox."""
