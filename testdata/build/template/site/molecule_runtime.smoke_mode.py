: the runtime smoke mode stand-in
