"""Buying credits: packs, PayFast checkout and notifications, tax invoices, statements, auto top-up, export."""
