: the runtime package stand-in
