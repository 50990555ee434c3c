/*
 * An ARP / Neighbor Solicitation flood for the L2 storm test and bench:
 * sends requests for the target addresses, in turn, out of one interface at
 * a steady rate for a while, then prints how many it sent.
 *
 *   l2_flood_driver IFNAME RATE SECONDS TARGET[,TARGET...] [--from MAC,IP]
 *
 * TARGETs are all IPv4 (ARP requests, broadcast) or all IPv6 (NS to the
 * solicited-node group, with a source link-layer address option). Without
 * --from every frame has a new random sender: a locally administered MAC
 * (also the Ethernet source) and an address from 198.18.0.0/15 or
 * 2001:db8:ffff::/48; with it, always that one sender (one noisy host).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "arp.h"
#include "ndp.h"

#define BATCH 64
#define MAX_TARGETS 4096

static void die(const char *m)
{
	fprintf(stderr, "l2_flood_driver: %s\n", m);
	exit(2);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 7)
		die("usage: l2_flood_driver IFNAME RATE SECONDS TARGET[,TARGET...] [--from MAC,IP]");
	unsigned ifindex = if_nametoindex(argv[1]);
	double rate = atof(argv[2]), seconds = atof(argv[3]);
	if (!ifindex || rate <= 0 || seconds <= 0)
		die("bad interface, rate or duration");

	static uint8_t targets[MAX_TARGETS][16];
	size_t ntargets = 0;
	int v6 = strchr(argv[4], ':') != NULL;
	char *list = strdup(argv[4]);
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		if (ntargets == MAX_TARGETS || inet_pton(v6 ? AF_INET6 : AF_INET, tok, targets[ntargets]) != 1)
			die("bad or too many targets (all of one family)");
		ntargets++;
	}
	free(list);
	int fixed = argc == 7;
	uint8_t fmac[6], fip[16];
	if (fixed) {
		char *comma = strchr(argv[6], ',');
		if (strcmp(argv[5], "--from") != 0 || !comma)
			die("--from MAC,IP");
		*comma = 0;
		if (parse_mac(argv[6], fmac) < 0 || inet_pton(v6 ? AF_INET6 : AF_INET, comma + 1, fip) != 1)
			die("bad --from");
	}
	rng ^= (uint64_t)getpid() << 32 ^ (uint64_t)(now_s() * 1e6);

	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket (needs CAP_NET_RAW)");
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = (int)ifindex};
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0)
		die("bind");

	static uint8_t frames[BATCH][NDP_FRAME_MAX > ARP_FRAME_LEN ? NDP_FRAME_MAX : ARP_FRAME_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t sent = 0, failed = 0, k = 0;
	double start = now_s(), end = start + seconds;

	/*
	 * Paced by batches: each round sends what is due by now (up to BATCH in
	 * one sendmmsg), and sleeps only when nothing is. A sleep costs a wake-up
	 * and its timer slack whatever it sends after, so the fewer the better;
	 * a round that falls behind (the CPU went to others) catches up at once.
	 */
	for (;;) {
		double t = now_s();
		if (t >= end)
			break;
		double due_f = (t - start) * rate - (double)sent;
		if (due_f < 1) {
			double d = (1 - due_f) / rate;
			struct timespec ts = {.tv_sec = (time_t)d, .tv_nsec = (long)((d - (double)(time_t)d) * 1e9)};
			nanosleep(&ts, NULL);
			continue;
		}
		int batch = due_f >= BATCH ? BATCH : (int)due_f;
		for (int i = 0; i < batch; i++, k++) {
			uint8_t mac[6], ip[16];
			if (fixed) {
				memcpy(mac, fmac, 6);
				memcpy(ip, fip, 16);
			} else {
				uint64_t r = next_rand();
				memcpy(mac, &r, 6);
				mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);  /* unicast, locally administered */
				r = next_rand();
				if (v6) {
					static const uint8_t pfx[6] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff};
					memcpy(ip, pfx, 6);
					memcpy(ip + 6, &r, 8);
					r = next_rand();
					memcpy(ip + 14, &r, 2);
				} else {
					ip[0] = 198;
					ip[1] = (uint8_t)(18 + (r & 1));
					ip[2] = (uint8_t)(r >> 8);
					ip[3] = (uint8_t)(r >> 16);
				}
			}
			const uint8_t *tgt = targets[k % ntargets];
			size_t len;
			if (v6) {
				struct ndp_msg m = {.hop_limit = 255, .type = NDP_NS, .has_lla = true};
				memcpy(m.eth_src, mac, 6);
				memcpy(m.lla, mac, 6);
				memcpy(m.src, ip, 16);
				ndp_solicited_node(tgt, m.dst);
				ndp_multicast_mac(m.dst, m.eth_dst);
				memcpy(m.target, tgt, 16);
				len = ndp_encode(&m, frames[i], sizeof frames[i]);
			} else {
				struct arp_pkt p = {.op = ARP_OP_REQUEST};
				memset(p.eth_dst, 0xff, 6);
				memcpy(p.eth_src, mac, 6);
				memcpy(p.sha, mac, 6);
				memcpy(p.spa, ip, 4);
				memcpy(p.tpa, tgt, 4);
				len = arp_encode(&p, frames[i], sizeof frames[i]);
			}
			iov[i] = (struct iovec){.iov_base = frames[i], .iov_len = len};
			msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		int n = sendmmsg(fd, msgs, (unsigned)batch, 0);
		if (n < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
				die("sendmmsg");
			n = 0;
		}
		sent += (uint64_t)n;
		failed += (uint64_t)(batch - n);
	}
	double took = now_s() - start;
	printf("sent %llu in %.2f s (%.0f/s), %llu not sent\n", (unsigned long long)sent, took, (double)sent / took,
	       (unsigned long long)failed);
	close(fd);
	return 0;
}
