// Placeholder entry point until the tlschat client lands.
print("tlschat: not implemented yet")
