"""Where a knowledge base's chunks live and are searched; every backend follows `base.Backend`."""
