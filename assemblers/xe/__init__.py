"""Intel Xe-HPG (DG2, iga64 platform 12p71): encoding model learned from iga64, decoder, assembler, ocloc binaries."""
