#include "bgp_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

void sockaddr_from_ip(const struct ipaddr *ip, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (ip->family == IPF_V4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, ip->b, 4);
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, ip->b, 16);
		*len = sizeof(*s6);
	}
}

bool ip_from_sockaddr(const struct sockaddr *sa, struct ipaddr *ip, uint16_t *port)
{
	memset(ip, 0, sizeof(*ip));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		ip->family = IPF_V4;
		memcpy(ip->b, &s4->sin_addr, 4);
		if (port)
			*port = ntohs(s4->sin_port);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(&s6->sin6_addr, mapped, 12) == 0) {
			ip->family = IPF_V4;
			memcpy(ip->b, (const uint8_t *)&s6->sin6_addr + 12, 4);
		} else {
			ip->family = IPF_V6;
			memcpy(ip->b, &s6->sin6_addr, 16);
		}
		if (port)
			*port = ntohs(s6->sin6_port);
		return true;
	}
	return false;
}

int bgp_socket_md5(int fd, const struct ipaddr *peer, const char *key)
{
	struct tcp_md5sig md5;
	socklen_t len;
	size_t klen = key ? strlen(key) : 0;

	if (klen > TCP_MD5SIG_MAXKEYLEN) {
		errno = EINVAL;
		return -1;
	}
	memset(&md5, 0, sizeof(md5));
	sockaddr_from_ip(peer, 0, &md5.tcpm_addr, &len);
	md5.tcpm_keylen = (uint16_t)klen;
	if (klen)
		memcpy(md5.tcpm_key, key, klen);
	int r = setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5));
	/* Removing a key that was never set is not an error. */
	if (r < 0 && !klen && errno == ENOENT)
		return 0;
	return r;
}

int bgp_socket_ttl(int fd, uint8_t family, int ttl)
{
	if (ttl <= 0)
		return 0;
	if (family == IPF_V4)
		return setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int bgp_socket_client(const struct ipaddr *peer, const struct ipaddr *source, const char *md5, int ttl,
		      const char **why)
{
	int fd = socket(peer->family == IPF_V4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0) {
		*why = "socket";
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (set_nonblock(fd) < 0) {
		*why = "O_NONBLOCK";
		goto fail;
	}
	if (md5 && *md5 && bgp_socket_md5(fd, peer, md5) < 0) {
		*why = "TCP_MD5SIG";
		goto fail;
	}
	if (bgp_socket_ttl(fd, peer->family, ttl) < 0) {
		*why = "TTL";
		goto fail;
	}
	if (source && source->family) {
		struct sockaddr_storage ss;
		socklen_t len;
		sockaddr_from_ip(source, 0, &ss, &len);
		if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
			*why = "bind to sourceAddress";
			goto fail;
		}
	}
	return fd;
fail: {
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}
}

int bgp_socket_listen(uint8_t family, uint16_t port, const char **why)
{
	int fd = socket(family == IPF_V4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0) {
		*why = "socket";
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == IPF_V6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	struct ipaddr any = {.family = family};
	struct sockaddr_storage ss;
	socklen_t len;
	sockaddr_from_ip(&any, port, &ss, &len);
	if (set_nonblock(fd) < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		*why = "bind/listen";
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
