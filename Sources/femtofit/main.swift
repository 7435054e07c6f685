print("femtofit")
