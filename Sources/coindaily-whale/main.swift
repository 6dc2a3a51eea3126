print("coindaily-whale: not built yet")
