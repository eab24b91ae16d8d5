"""Public disclosure of decisions and credit records (行政处罚决定公示): the writes and the public pages."""
