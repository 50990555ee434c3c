/*
 * Real-time scheduling for the speaker's event loop (--rt-priority).
 *
 * With 10 ms L2 heartbeats a speaker counts another as dead after 30 ms
 * without one. A normal (SCHED_OTHER) process on a busy node can wait
 * longer than that to run even when it needs almost no CPU: measured in the
 * storm bench (tests/bench/README.md), the speaker sat runnable for up to
 * 90 ms while other processes and the flood generator ran, and the pair
 * failed over falsely. SCHED_RR puts the loop ahead of every normal process,
 * as keepalived does for VRRP (vrrp_rt_priority). The loop's work per wakeup
 * is bounded (the responder reads at most 256 frames per socket wakeup, the
 * BPF filter keeps other traffic in the kernel), and the kernel's real-time
 * throttling (kernel.sched_rt_runtime_us) still leaves normal processes 5 %
 * of each CPU should it ever spin.
 *
 * Needs CAP_SYS_NICE (or RLIMIT_RTPRIO); threads the loop starts afterwards
 * go back to SCHED_OTHER themselves (rt_priority_leave()).
 */
#ifndef VIPCAST_SPEAKER_RT_PRIORITY_H
#define VIPCAST_SPEAKER_RT_PRIORITY_H

#define RT_PRIORITY_MAX 99

/* The calling thread under SCHED_RR at prio (1..99); 0 or -1 with errno set. */
int rt_priority_enter(int prio);
/* The calling thread back under SCHED_OTHER (always allowed); 0 or -1 with errno set. */
int rt_priority_leave(void);

#endif
