from hwrt.cli import entry
entry()
