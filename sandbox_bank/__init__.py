"""A sandbox bank: a small HTTP service that pays the platform's payouts the way a bank would.

It tokenises cards, accepts payouts with an idempotency key, answers asynchronously (accepted, then
paid or failed with a reason, by a signed notification to a callback URL), serves a statement of what
it paid, and can be told to fail, time out, answer 5xx or answer twice. State is kept in memory.
"""
