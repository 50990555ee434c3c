/* Dropping capabilities with capget/capset and prctl, without libcap: see caps.h. */
#include "caps.h"

#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAPS_MAX 64  /* two 32-bit words in capability version 3 */

static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
	"setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
	"lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
	"wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

struct caps_sets {
	uint64_t eff, prm, inh;
};

static int caps_get(struct caps_sets *s)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {0};
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	s->eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	s->prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	s->inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return 0;
}

static int caps_set(const struct caps_sets *s)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
		{(uint32_t)s->eff, (uint32_t)s->prm, (uint32_t)s->inh},
		{(uint32_t)(s->eff >> 32), (uint32_t)(s->prm >> 32), (uint32_t)(s->inh >> 32)},
	};
	return (int)syscall(SYS_capset, &h, d);
}

/* The bounding set, over the capabilities this kernel knows (PR_CAPBSET_READ fails past the last). */
static uint64_t bounding_read(void)
{
	uint64_t b = 0;
	for (int c = 0; c < CAPS_MAX; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r)
			b |= CAPS_BIT(c);
	}
	return b;
}

int caps_restrict(uint64_t keep, struct caps_outcome *out, const char **why)
{
	struct caps_sets now;
	if (caps_get(&now) < 0) {
		*why = "capget";
		return -1;
	}
	out->had = now.prm;

	/* The bounding set first: dropping from it needs CAP_SETPCAP, which goes next. */
	uint64_t extra = bounding_read() & ~keep;
	for (int c = 0; c < CAPS_MAX && extra; c++) {
		if (!(extra & CAPS_BIT(c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EPERM)
				break;  /* no CAP_SETPCAP: the bounding set stays; no_new_privs still holds */
			*why = "PR_CAPBSET_DROP";
			return -1;
		}
		extra &= ~CAPS_BIT(c);
	}
	/* Kernels before 4.3 have no ambient set. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		*why = "PR_CAP_AMBIENT_CLEAR_ALL";
		return -1;
	}
	struct caps_sets want = {.prm = now.prm & keep, .eff = now.prm & keep, .inh = 0};
	if (caps_set(&want) < 0) {
		*why = "capset";
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*why = "PR_SET_NO_NEW_PRIVS";
		return -1;
	}
	if (caps_get(&now) < 0) {
		*why = "capget";
		return -1;
	}
	if (now.prm != want.prm || now.eff != want.eff || now.inh) {
		errno = EPERM;
		*why = "capset (the sets did not change as asked)";
		return -1;
	}
	out->kept = now.prm;
	out->bounding = bounding_read();
	out->bounding_cut = !(out->bounding & ~keep);
	return 0;
}

void caps_format(uint64_t mask, char *buf, size_t len)
{
	size_t n = 0;
	if (len)
		buf[0] = '\0';
	if (!mask) {
		snprintf(buf, len, "none");
		return;
	}
	for (int c = 0; c < CAPS_MAX && n < len; c++) {
		if (!(mask & CAPS_BIT(c)))
			continue;
		int w = c < (int)(sizeof cap_names / sizeof cap_names[0])
				? snprintf(buf + n, len - n, "%scap_%s", n ? "," : "", cap_names[c])
				: snprintf(buf + n, len - n, "%scap_%d", n ? "," : "", c);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}
