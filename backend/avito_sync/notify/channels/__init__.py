"""Delivery channels: each turns a rendered message into one HTTP call to its receiver."""
