print("coindaily-budget: not built yet")
