#include "bfd_socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp_socket.h"

#define BIND_TRIES 64

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

static int fail_with(int fd)
{
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int bfd_socket_listen(uint8_t family, uint16_t port, const char **why)
{
	bool v6 = family == IPF_V6;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = "socket";
		return -1;
	}
	struct ipaddr any = {.family = family};
	struct sockaddr_storage ss;
	socklen_t sl;
	sockaddr_from_ip(&any, port, &ss, &sl);
	if ((v6 && set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0) || set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0 ||
	    (v6 ? set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) : set_int(fd, IPPROTO_IP, IP_RECVTTL, 1)) < 0) {
		*why = "setsockopt";
		return fail_with(fd);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		*why = "bind";
		return fail_with(fd);
	}
	return fd;
}

int bfd_socket_client(const struct ipaddr *peer, uint16_t port, const struct ipaddr *source, int ifindex,
		      const char **why)
{
	bool v6 = peer->family == IPF_V6;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = "socket";
		return -1;
	}
	if ((v6 ? set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, BFD_TTL) : set_int(fd, IPPROTO_IP, IP_TTL, BFD_TTL)) < 0) {
		*why = "setsockopt TTL";
		return fail_with(fd);
	}
	struct ipaddr src = source->family == peer->family ? *source : (struct ipaddr){.family = peer->family};
	struct sockaddr_storage ss;
	socklen_t sl;
	/* RFC 5881 4: a source port in 49152-65535; a random start spreads sessions over the range. */
	uint32_t span = 65536 - BFD_SRC_PORT_MIN, start = (uint32_t)random() % span;
	int rc = -1;
	for (uint32_t i = 0; i < BIND_TRIES && rc < 0; i++) {
		sockaddr_from_ip(&src, (uint16_t)(BFD_SRC_PORT_MIN + (start + i * 7919) % span), &ss, &sl);
		rc = bind(fd, (struct sockaddr *)&ss, sl);
		if (rc < 0 && errno != EADDRINUSE)
			break;
	}
	if (rc < 0) {
		*why = "bind a source port in 49152-65535";
		return fail_with(fd);
	}
	sockaddr_from_ip(peer, port, &ss, &sl);
	if (v6)
		((struct sockaddr_in6 *)&ss)->sin6_scope_id = (uint32_t)ifindex;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		*why = "connect";
		return fail_with(fd);
	}
	return fd;
}

ssize_t bfd_socket_recv(int fd, uint8_t *buf, size_t cap, struct ipaddr *from, int *ttl)
{
	struct sockaddr_storage ss;
	struct iovec iov = {buf, cap};
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(int)) * 2];
	} ctl;
	struct msghdr m = {.msg_name = &ss, .msg_namelen = sizeof(ss), .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
	ssize_t n = recvmsg(fd, &m, 0);
	if (n < 0)
		return n;
	*ttl = -1;
	if (!ip_from_sockaddr((struct sockaddr *)&ss, from, NULL))
		memset(from, 0, sizeof(*from));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		bool v4ttl = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL;
		bool v6hl = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT;
		if ((v4ttl || v6hl) && c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(ttl, CMSG_DATA(c), sizeof(int));
	}
	return n;
}
