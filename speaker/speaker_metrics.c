#include "speaker_metrics.h"

#include "bfd_peers.h"
#include "bgp_session.h"
#include "l2.h"
#include "metrics.h"
#include "reload_metrics.h"
#include "speaker.h"

static void bgp_metrics(const struct speaker *sp, struct metrics *m)
{
	const char *const peer[] = {"peer", NULL};
	struct metric_family *up = metrics_family(m, "metallb_bgp_session_up", "BGP session state (1 is up, 0 is down)",
						  METRIC_GAUGE, peer, NULL, 0);
	struct metric_family *updates = metrics_family(m, "metallb_bgp_updates_total",
						       "Number of BGP UPDATE messages sent", METRIC_COUNTER, peer, NULL, 0);
	struct metric_family *announced =
		metrics_family(m, "metallb_bgp_announced_prefixes_total",
			       "Number of prefixes currently being advertised on the BGP session", METRIC_GAUGE, peer, NULL, 0);
	struct metric_family *pending =
		metrics_family(m, "metallb_bgp_pending_prefixes_total",
			       "Number of prefixes that should be advertised on the BGP session", METRIC_GAUGE, peer, NULL, 0);
	/* MetalLB's FRR mode: messages by type. */
	static const struct {
		const char *name, *help;
	} by_type[] = {
		{"metallb_bgp_opens_sent", "Number of BGP open messages sent"},
		{"metallb_bgp_opens_received", "Number of BGP open messages received"},
		{"metallb_bgp_notifications_sent", "Number of BGP notification messages sent"},
		{"metallb_bgp_updates_total_received", "Number of BGP UPDATE messages received"},
		{"metallb_bgp_keepalives_sent", "Number of BGP keepalive messages sent"},
		{"metallb_bgp_keepalives_received", "Number of BGP keepalive messages received"},
		{"metallb_bgp_route_refresh_sent", "Number of BGP route refresh messages sent"},
		{"metallb_bgp_total_sent", "Number of total BGP messages sent"},
		{"metallb_bgp_total_received", "Number of total BGP messages received"},
	};
	enum { NTYPES = sizeof(by_type) / sizeof(by_type[0]) };
	struct metric_family *fam[NTYPES];
	for (size_t t = 0; t < NTYPES; t++)
		fam[t] = metrics_family(m, by_type[t].name, by_type[t].help, METRIC_COUNTER, peer, NULL, 0);
	size_t n;
	struct bgp_session *const *sessions = speaker_sessions(sp, &n);
	for (size_t i = 0; i < n; i++) {
		char addr[IPADDR_STRLEN];
		ipaddr_format(&bgp_session_cfg(sessions[i])->peer, addr);
		const char *const v[] = {addr};
		struct bgp_session_counters c;
		bgp_session_counters(sessions[i], &c);
		metric_set(up, v, c.up);
		metric_set(updates, v, (double)c.updates_out);
		metric_set(announced, v, (double)c.announced);
		metric_set(pending, v, (double)c.pending);
		const uint64_t counts[NTYPES] = {c.opens_sent,	       c.opens_received,      c.notifications_sent,
						 c.updates_received,   c.keepalives_sent,     c.keepalives_received,
						 c.route_refresh_sent, c.total_sent,	      c.total_received};
		for (size_t t = 0; t < NTYPES; t++)
			metric_set(fam[t], v, (double)counts[t]);
	}
}

struct bfd_families {
	struct metric_family *up, *in, *out, *ups, *downs;
};

static void bfd_session_metrics(const struct bfd_session *b, void *arg)
{
	struct bfd_families *f = arg;
	char addr[IPADDR_STRLEN];
	ipaddr_format(&bfd_session_cfg(b)->peer, addr);
	const char *const v[] = {addr};
	struct bfd_session_counters c;
	bfd_session_counters(b, &c);
	metric_set(f->up, v, bfd_session_state(b) == BFD_UP);
	metric_set(f->in, v, (double)c.rx);
	metric_set(f->out, v, (double)c.tx);
	metric_set(f->ups, v, (double)c.up_events);
	metric_set(f->downs, v, (double)c.down_events);
}

/* MetalLB's FRR mode names and labels. */
static void bfd_metrics(const struct speaker *sp, struct metrics *m)
{
	const char *const peer[] = {"peer", NULL};
	struct bfd_families f = {
		.up = metrics_family(m, "metallb_bfd_session_up", "BFD session state (1 is up, 0 is down)",
				     METRIC_GAUGE, peer, NULL, 0),
		.in = metrics_family(m, "metallb_bfd_control_packet_input", "Number of received BFD control packets",
				     METRIC_COUNTER, peer, NULL, 0),
		.out = metrics_family(m, "metallb_bfd_control_packet_output", "Number of sent BFD control packets",
				      METRIC_COUNTER, peer, NULL, 0),
		.ups = metrics_family(m, "metallb_bfd_session_up_events", "Number of BFD session up events",
				      METRIC_COUNTER, peer, NULL, 0),
		.downs = metrics_family(m, "metallb_bfd_session_down_events", "Number of BFD session down events",
					METRIC_COUNTER, peer, NULL, 0),
	};
	bfd_peers_each(speaker_bfd(sp), bfd_session_metrics, &f);
}

struct l2_families {
	struct metric_family *requests, *responses, *gratuitous, *conflicts;
};

static void l2_vip(const struct ipaddr *ip, const struct l2_vip_counters *n, void *arg)
{
	struct l2_families *f = arg;
	char addr[IPADDR_STRLEN];
	ipaddr_format(ip, addr);
	const char *const v[] = {addr};
	metric_set(f->requests, v, (double)n->requests);
	metric_set(f->responses, v, (double)n->responses);
	metric_set(f->gratuitous, v, (double)n->gratuitous);
	metric_set(f->conflicts, v, (double)n->conflicts);
}

static void l2_metrics(struct speaker *sp, struct metrics *m)
{
	const char *const ip[] = {"ip", NULL};
	struct l2_families f = {
		.requests = metrics_family(m, "metallb_layer2_requests_received",
					   "Number of layer2 requests received for owned IPs", METRIC_COUNTER, ip, NULL, 0),
		.responses = metrics_family(m, "metallb_layer2_responses_sent",
					    "Number of layer2 responses sent for owned IPs in response to requests",
					    METRIC_COUNTER, ip, NULL, 0),
		.gratuitous = metrics_family(m, "metallb_layer2_gratuitous_sent",
					     "Number of gratuitous layer2 packets sent for owned IPs as a result of failovers",
					     METRIC_COUNTER, ip, NULL, 0),
	};
	/* vipcast's own */
	f.conflicts = metrics_family(m, "vipcast_l2_conflicting_macs_total",
				     "Number of ARP or NDP packets for an IP this node answers for sent from a MAC "
				     "address not of this node",
				     METRIC_COUNTER, ip, NULL, 0);
	struct metric_family *failovers =
		metrics_family(m, "vipcast_l2_failovers_total",
			       "Number of IPs this node took over from an owner that stopped answering heartbeats or left",
			       METRIC_COUNTER, NULL, NULL, 0);
	struct l2 *l = speaker_l2(sp);
	struct l2_takeover_stats t = {0};
	if (l)
		l2_takeover_stats(l, &t);
	metric_set(failovers, NULL, (double)t.failovers);
	metric_set(metrics_family(m, "vipcast_l2_late_wakeups_total",
				  "Number of times this node's speaker checked the other speakers' heartbeats late (it was "
				  "not running) and gave them one more interval before counting them down",
				  METRIC_COUNTER, NULL, NULL, 0),
		   NULL, (double)t.late_wakeups);
	if (t.failover_seconds) {
		const struct metric_hist *h = t.failover_seconds;
		metric_set_hist(metrics_family(m, "vipcast_l2_failover_duration_seconds",
					       "Time from the lost owner's last heartbeat heard to this node's first "
					       "gratuitous ARP or unsolicited NA for the IP it took over",
					       METRIC_HISTOGRAM, NULL, h->bounds, h->nbounds),
				NULL, h);
	}
	if (t.heartbeat_gap_seconds) {
		const struct metric_hist *h = t.heartbeat_gap_seconds;
		metric_set_hist(metrics_family(m, "vipcast_l2_heartbeat_gap_seconds",
					       "Time between two heartbeats accepted in a row from the same speaker, as "
					       "this node's speaker handled them; near the detection time (interval x "
					       "multiplier), a false failover is close",
					       METRIC_HISTOGRAM, NULL, h->bounds, h->nbounds),
				NULL, h);
	}
	metric_set(metrics_family(m, "vipcast_liveness_peers_up", "Number of other speakers heard up over the L2 liveness heartbeats",
				  METRIC_GAUGE, NULL, NULL, 0),
		   NULL, t.peers_up);
	struct l2_responder_stats rs = {0};
	if (l)
		l2_responder_totals(l, &rs);
	const char *const reason[] = {"reason", NULL};
	struct metric_family *dropped =
		metrics_family(m, "vipcast_l2_requests_dropped_total",
			       "Number of ARP requests and neighbor solicitations for IPs this node answers for left "
			       "unanswered by a reply rate limit: reason \"requester\" (that sender over its own rate) or "
			       "\"global\" (the node over its total rate)",
			       METRIC_COUNTER, reason, NULL, 0);
	metric_set(dropped, (const char *const[]){"requester"}, (double)rs.limited_requester);
	metric_set(dropped, (const char *const[]){"global"}, (double)rs.limited_global);
	if (l)
		l2_vip_counters(l, l2_vip, &f);
}

void speaker_metrics(void *arg, struct metrics *m)
{
	struct speaker *sp = arg;
	bgp_metrics(sp, m);
	bfd_metrics(sp, m);
	l2_metrics(sp, m);
	struct speaker_config_stats c;
	speaker_config_stats(sp, &c);
	reload_metrics(m, c.refused, c.build_seconds);
}
