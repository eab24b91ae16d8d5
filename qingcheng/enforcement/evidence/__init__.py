"""Evidence (证据) with its integrity digests, and the case archive (案卷) built from it."""
