/*
 * How long the machine keeps a real-time task from running, per CPU: one
 * thread pinned on each CPU under SCHED_FIFO, waking every millisecond
 * (absolute clock_nanosleep), for a while; then one line per wake-up late by
 * at least MIN_MS ("stall EPOCH CPU MS", the wall clock of the wake-up) and a
 * summary. A stall seen on every CPU at once is the whole machine (a virtual
 * machine's vCPUs paused by its host); on one CPU, something on that CPU that
 * did not yield (kernel code on a kernel without full preemption, or a task
 * of a higher priority). Like rt-tests' cyclictest, reduced to what the L2
 * storm bench reports.
 *
 *   stall_probe_driver SECONDS [MIN_MS] [PRIORITY]   (defaults 4 ms, 50)
 *
 * Needs CAP_SYS_NICE; exits 2 when it cannot run as asked.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CPUS 256
#define MAX_STALLS 4096
#define PERIOD_NS 1000000L

struct stall {
	double at, ms;
	int cpu;
};

static double seconds, min_ms;
static int prio;
static struct stall stalls[MAX_STALLS];
static size_t nstalls;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double ts_s(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static void *watch(void *arg)
{
	int cpu = (int)(long)arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	struct sched_param sp = {.sched_priority = prio};
	int e = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	if (!e)
		e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (e) {
		fprintf(stderr, "stall_probe_driver: CPU %d: %s\n", cpu, strerror(e));
		exit(2);
	}
	struct timespec next, now, wall;
	clock_gettime(CLOCK_MONOTONIC, &next);
	double end = ts_s(&next) + seconds;
	for (;;) {
		next.tv_nsec += PERIOD_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double late_ms = (ts_s(&now) - ts_s(&next)) * 1e3;
		if (late_ms >= min_ms) {
			clock_gettime(CLOCK_REALTIME, &wall);
			pthread_mutex_lock(&lock);
			if (nstalls < MAX_STALLS)
				stalls[nstalls++] = (struct stall){ts_s(&wall), late_ms, cpu};
			pthread_mutex_unlock(&lock);
			next = now;  /* one stall, not one per period missed */
		}
		if (ts_s(&now) >= end)
			return NULL;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: stall_probe_driver SECONDS [MIN_MS] [PRIORITY]\n");
		return 2;
	}
	seconds = atof(argv[1]);
	min_ms = argc > 2 ? atof(argv[2]) : 4;
	prio = argc > 3 ? atoi(argv[3]) : 50;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (seconds <= 0 || min_ms <= 0 || prio < 1 || prio > 99 || ncpu < 1 || ncpu > MAX_CPUS) {
		fprintf(stderr, "stall_probe_driver: bad arguments, or %ld CPUs\n", ncpu);
		return 2;
	}
	pthread_t t[MAX_CPUS];
	for (long i = 0; i < ncpu; i++)
		if (pthread_create(&t[i], NULL, watch, (void *)i)) {
			fprintf(stderr, "stall_probe_driver: pthread_create\n");
			return 2;
		}
	for (long i = 0; i < ncpu; i++)
		pthread_join(t[i], NULL);

	double largest = 0;
	size_t together = 0;
	for (size_t i = 0; i < nstalls; i++) {
		printf("stall %.6f %d %.1f\n", stalls[i].at, stalls[i].cpu, stalls[i].ms);
		if (stalls[i].ms > largest)
			largest = stalls[i].ms;
		if (stalls[i].cpu != 0)
			continue;
		/* the whole machine: a stall ending within 1 ms of it on every other CPU too */
		long seen = 1;
		for (long c = 1; c < ncpu; c++)
			for (size_t j = 0; j < nstalls; j++)
				if (stalls[j].cpu == c && stalls[j].at - stalls[i].at < 0.001 &&
				    stalls[i].at - stalls[j].at < 0.001) {
					seen++;
					break;
				}
		together += seen == ncpu;
	}
	printf("stalls %zu, of the whole machine %zu, largest %.1f ms (>= %.0f ms, %ld CPUs, %.0f s)\n", nstalls,
	       together, largest, min_ms, ncpu, seconds);
	return 0;
}
