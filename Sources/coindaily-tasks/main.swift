print("coindaily-tasks: not built yet")
