"""Avito messenger for the app's Messages tab: webhooks in, the reconciliation poll, pushes."""
