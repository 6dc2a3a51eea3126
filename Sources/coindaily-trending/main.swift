print("coindaily-trending: not built yet")
