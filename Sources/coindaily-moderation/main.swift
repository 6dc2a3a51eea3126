print("coindaily-moderation: not built yet")
