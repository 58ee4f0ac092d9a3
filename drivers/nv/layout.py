"""Where the NVIDIA driver puts things: GPU VA windows and the host-visible arena's layout (shared by device, program, queue)."""
PAGE, BIG_PAGE = 0x1000, 0x200000
VA_BASE, VA_LIMIT = 0x2_0000_0000, 0xFF_0000_0000     # pushbuffers and QMDs must sit below 2^40 (GP entry, SEND_PCAS_A)
SHARED_WINDOW, LOCAL_WINDOW = 0x729400000000, 0x729300000000   # unused VA bases for the generic->shared/local windows
GPFIFO_ENTRIES, PUSHBUF_SIZE, KERNARGS_SIZE = 0x400, 0x100000, 0x400000
CTX_WINDOW = 64 << 20                               # per-channel context-buffer VA window registered with UVM
# host-visible arena: signals (0x0) | compute ring+USERD (0x1000) | copy ring+USERD (0x8000) | compute pushbuffer (0x10000)
# | copy pushbuffer | kernargs (QMDs and constant banks 0)
SIGNALS_OFF, COMPUTE_RING_OFF, COPY_RING_OFF, PUSHBUF_OFF = 0x0, 0x1000, 0x8000, 0x10000
KERNARGS_OFF = PUSHBUF_OFF + 2 * PUSHBUF_SIZE
ARENA_SIZE = KERNARGS_OFF + KERNARGS_SIZE
SIGNAL_SIZE = 16
