"""One module per `summlaunch` verb; see summlaunch.cli for the protocol."""
