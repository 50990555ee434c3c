/* vipcastctl's text output: one table per part of a reply, birdc/gobgp style. */
#ifndef VIPCAST_CTL_RENDER_H
#define VIPCAST_CTL_RENDER_H

#include <jansson.h>
#include <stdio.h>

#define VIPCASTCTL_SPEAKER_SOCKET "/run/vipcast/speaker.sock"
#define VIPCASTCTL_CONTROLLER_SOCKET "/run/vipcast/controller.sock"

/* Prints data, the reply to cmd; what it does not know is printed as JSON. */
void ctl_render(const char *cmd, const json_t *data, FILE *out);

#endif
