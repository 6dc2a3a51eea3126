print("coindaily-health: not built yet")
