"""Fines and payment (罚没款缴纳): payment notices, the collecting bank's callback, on-the-spot cash."""
