"""Word lists and text templates the data generator draws from (pure data, no logic)."""
