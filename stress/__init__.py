"""hwrt stress: loops of workloads or any command, many at once, watching what a driver failure leaves behind.

Modules: logparse (kernel log -> typed events + signatures; patterns as a table), oops (Code: bytes, frames, taint bits),
journal (append-only JSON Lines, fsync per record), watchers (kmsg / log file, taint, device nodes), workloads (built-in
op table and seeded schedules), worker (one worker process), runner (spawns and watches workers), live (rich / plain view),
cli (`hwrt stress run|parse|report|resume`).

Journal schema (one JSON object per line, key "t" is the record type; every record has "time", Unix seconds):
  start     version, config {cmd|workload, procs, duration, iterations, deadline, device, seed, ops, env, journal, argv},
            system {kernel, kernel_version, drivers, gpus [{pci, vendor, device, driver, firmware}], taint, device_nodes, ...}
  event     event {kind, vendor, severity (error|info), signature, line, lines, worker?, iteration?, ...kind fields}
              kernel-log kinds (logparse.KINDS): xid, ring_timeout, page_fault, gpu_reset, kfd, gpu_hang, oops, bug, warning,
              gpf, panic, lockup, rcu_stall, hung_task -- with source (kmsg|sim-kmsg|file|pstore), seq/ts, and the worker and
              iteration when the line's pid belonged to one (attributed_by_pid)
              harness kinds: crash (signal), exit (returncode), hang (seconds, tasks [{state, wchan, kernel_stack}]),
              gpu_fault / gpu_timeout / workload_error / exception (built-in workloads: op, op_index, schedule, info, traceback),
              taint (taint_added), device_lost (path), kmsg_lost (count)
  progress  elapsed, workers {"N": {done, current, op, restarts, pid, finished}}   (at most 4/s, and at the end)
  note      note (e.g. why /dev/kmsg is not watched)
  end       reason, failures, iterations, harness_cpu {seconds, runner_seconds, worker_bookkeeping_seconds, wall, percent_of_one_core},
            signatures {signature: count}
  pstore    file, sha256, header, bytes, text        (added by `resume`)
  resume    pstore, pstore_records, pstore_events, last_iteration_finished {"N": iteration or null}

A built-in workload's iteration is workloads.make_schedule(workload, seed, worker, iteration, ops): replay it with
workloads.replay(device, schedule)."""
